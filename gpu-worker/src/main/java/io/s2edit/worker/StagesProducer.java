package io.s2edit.worker;

import io.quarkus.arc.DefaultBean;
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
        // TODO(worker): new DefaultS2EditStages() once it is on main
        try {
            return (S2EditStages) Class.forName("io.s2edit.s2edit.stages.DefaultS2EditStages").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no S2Edit stages implementation on the class path", e);
        }
    }
}
