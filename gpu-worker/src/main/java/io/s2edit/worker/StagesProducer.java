package io.s2edit.worker;

import io.quarkus.arc.DefaultBean;
import io.s2edit.s2edit.stages.DefaultS2EditStages;
import io.s2edit.s2edit.stages.S2EditStages;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The S2Edit stages the jobs run: the method's implementation (a test may provide its own bean). */
@ApplicationScoped
public class StagesProducer {

    @Produces
    @Singleton
    @DefaultBean
    S2EditStages stages() {
        return new DefaultS2EditStages();
    }
}
