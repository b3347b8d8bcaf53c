package io.s2edit.worker;

import io.s2edit.worker.models.ModelCache;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelCacheTest {

    static final class Model implements AutoCloseable {
        boolean closed;

        @Override
        public void close() {
            closed = true;
        }
    }

    private final UUID a = UUID.randomUUID();
    private final UUID b = UUID.randomUUID();
    private final UUID c = UUID.randomUUID();

    @Test
    void evictsTheLeastRecentlyUsedAndClosesIt() {
        ModelCache<Model> cache = new ModelCache<>(2);
        Model ma = new Model();
        Model mb = new Model();
        Model mc = new Model();
        cache.put(a, ma);
        cache.put(b, mb);
        // using a makes b the least recently used
        cache.put(a, cache.take(a).orElseThrow());
        cache.put(c, mc);
        assertEquals(List.of(a, c), cache.keys());
        assertTrue(mb.closed);
        assertFalse(ma.closed || mc.closed);
    }

    @Test
    void aTakenModelIsOwnedByTheCallerUntilPutBack() {
        ModelCache<Model> cache = new ModelCache<>(1);
        Model ma = new Model();
        cache.put(a, ma);
        Model taken = cache.take(a).orElseThrow();
        assertSame(ma, taken);
        assertTrue(cache.take(a).isEmpty());
        // another model loaded meanwhile cannot close the one in use
        cache.makeRoomForOne();
        cache.put(b, new Model());
        assertFalse(ma.closed);
    }

    @Test
    void makeRoomForOneLeavesCapacityMinusOne() {
        ModelCache<Model> cache = new ModelCache<>(1);
        Model ma = new Model();
        cache.put(a, ma);
        cache.makeRoomForOne();
        assertTrue(ma.closed);
        assertEquals(List.of(), cache.keys());
    }

    @Test
    void capacityZeroKeepsNothing() {
        ModelCache<Model> cache = new ModelCache<>(0);
        Model ma = new Model();
        cache.put(a, ma);
        assertTrue(ma.closed);
        assertTrue(cache.take(a).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new ModelCache<Model>(-1));
    }

    @Test
    void replacingAKeyClosesThePreviousModel() {
        ModelCache<Model> cache = new ModelCache<>(2);
        Model first = new Model();
        Model second = new Model();
        cache.put(a, first);
        cache.put(a, second);
        assertTrue(first.closed);
        assertFalse(second.closed);
        assertEquals(List.of(a), cache.keys());
    }
}
