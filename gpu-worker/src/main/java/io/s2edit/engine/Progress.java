package io.s2edit.engine;

/** Receives progress of long work: {@code step} of {@code total} done in {@code stage}. */
@FunctionalInterface
public interface Progress {

    Progress NONE = (stage, step, total) -> { };

    void update(String stage, int step, int total);
}
