/**
 * What the gateway and the workers agree on, with Jackson as the only dependency.
 *
 * <ul>
 *   <li>{@link io.s2edit.common.messages}: the versioned JSON messages on the job topics and on
 *       {@code s2edit.job-events}, validated in their compact constructors;</li>
 *   <li>{@link io.s2edit.common.artifacts.ArtifactKeys}: the object-storage key layout of
 *       ARCHITECTURE.md;</li>
 *   <li>{@link io.s2edit.common.prompts.PromptRules}: the [I] / object-word rules and the CLIP
 *       length rule (exact with a tokenizer, else a lower bound);</li>
 *   <li>{@link io.s2edit.common.clip}: CLIP's BPE tokenizer, plain Java: the engine encodes
 *       prompts with it, the gateway counts their tokens with it;</li>
 *   <li>{@link io.s2edit.common.problems}: the RFC 9457 problem type of the REST API and the
 *       validation exception that names its problem type and field.</li>
 * </ul>
 */
package io.s2edit.common;
