package io.s2edit.s2edit.stages;

import java.util.List;
import java.util.Map;

/**
 * What a stage produced: the file names it wrote and figures worth reporting (seconds per stage,
 * final losses, mask coverage, ...).
 */
public record StageSummary(List<String> files, Map<String, Double> metrics) {
    public StageSummary {
        files = List.copyOf(files);
        metrics = Map.copyOf(metrics);
    }
}
