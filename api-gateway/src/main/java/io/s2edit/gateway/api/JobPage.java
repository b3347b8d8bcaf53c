package io.s2edit.gateway.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.util.List;

/** One page of {@code GET /v1/jobs}, newest first; {@code next} is the next page's URL or null. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record JobPage(List<JobView> items, int page, int size, long total, String next) {
}
