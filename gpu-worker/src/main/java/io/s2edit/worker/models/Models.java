package io.s2edit.worker.models;

import ai.djl.ndarray.NDManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.s2edit.engine.pipeline.StableDiffusion;
import io.s2edit.s2edit.stages.S2EditStages;
import io.s2edit.worker.WorkerConfig;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The worker's models: fresh base checkpoints (from {@code s2edit.model.dir}) for fine-tuning, and
 * fine-tuned models for inversion and editing, kept in a {@link ModelCache} of
 * {@code s2edit.model.cache-size} and otherwise rebuilt from base weights + the stored delta
 * ({@link S2EditStages#applyFineTune}). Used from the one job thread only.
 */
@ApplicationScoped
public class Models {

    private static final Logger LOG = Logger.getLogger(Models.class);

    /** Writes the fine-tune job's files (at least the weight delta) into a folder, on a cache miss. */
    @FunctionalInterface
    public interface FineTuneFiles {
        Path fetch() throws IOException;
    }

    @Inject
    WorkerConfig config;

    @Inject
    S2EditStages stages;

    @Inject
    MeterRegistry registry;

    private NDManager root;
    private ModelCache<StableDiffusion> cache;

    @PostConstruct
    void init() {
        cache = new ModelCache<>(config.model().cacheSize());
    }

    void stop(@Observes ShutdownEvent ev) {
        if (cache != null) {
            cache.clear();
        }
    }

    private synchronized NDManager root() {
        if (root == null) {
            root = NDManager.newBaseManager();
        }
        return root;
    }

    /** A freshly loaded base model for a fine-tune job; the caller hands it to {@link #keep} or closes it. */
    public StableDiffusion freshBase() throws IOException {
        cache.makeRoomForOne();
        return StableDiffusion.load(config.model().dir(), root());
    }

    /**
     * The fine-tuned model of {@code fineTuneJobId}: from the cache, or a fresh base with the delta
     * applied. The caller owns it until it hands it to {@link #keep} (or closes it).
     */
    public StableDiffusion tuned(UUID fineTuneJobId, FineTuneFiles files) throws IOException {
        var cached = cache.take(fineTuneJobId);
        registry.counter("s2edit.worker.model.cache", "result", cached.isPresent() ? "hit" : "miss").increment();
        if (cached.isPresent()) {
            LOG.debugf("fine-tuned model of %s from the cache", fineTuneJobId);
            return cached.get();
        }
        Path dir = files.fetch();
        StableDiffusion model = freshBase();
        try {
            stages.applyFineTune(model, dir);
            LOG.infof("rebuilt the fine-tuned model of %s from base weights + delta", fineTuneJobId);
            return model;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Keeps the fine-tuned model of {@code fineTuneJobId} for later jobs (or closes it if the cache keeps none). */
    public void keep(UUID fineTuneJobId, StableDiffusion model) {
        cache.put(fineTuneJobId, model);
    }

    /** Fine-tune job ids whose models are in memory, least recently used first. */
    public java.util.List<UUID> cached() {
        return cache.keys();
    }
}
