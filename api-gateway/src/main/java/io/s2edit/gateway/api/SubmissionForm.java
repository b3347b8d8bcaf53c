package io.s2edit.gateway.api;

import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * The multipart parts of {@code POST /v1/identities} and {@code POST /v1/compositions}. JSON
 * parts are plain text fields holding JSON.
 */
public class SubmissionForm {

    /** The source image (PNG, JPEG, BMP or GIF); stored as {@code identities/{id}/source.png}. */
    @RestForm("image")
    public FileUpload image;

    /** Optional object mask, same size as the image; white = object. */
    @RestForm("mask")
    public FileUpload mask;

    /** Enhanced source prompt with [I] exactly once, e.g. "a photo of a [I] lady". */
    @RestForm("source_prompt")
    public String sourcePrompt;

    /** The word of the source prompt that names the object, e.g. "lady". */
    @RestForm("object_word")
    public String objectWord;

    /** JSON fine-tune options (FineTuneOptions); omitted: the paper's. */
    @RestForm("options")
    public String options;

    /** JSON invert options (InvertOptions, may be {}): submit the inversion too. */
    @RestForm("invert")
    public String invert;

    /** JSON array of edit options (EditOptions): submit edits after the inversion. */
    @RestForm("edits")
    public String edits;

    /** Webhook URL for every job this request creates. */
    @RestForm("webhook")
    public String webhook;

    /** Comma-separated or JSON array: start, progress, completed. */
    @RestForm("webhook_events_filter")
    public String webhookEventsFilter;

    /** Compositions only: the reference image that gives the attribute [A]. */
    @RestForm("reference")
    public FileUpload reference;

    /** Compositions only: prompt of the reference image with [A] once, e.g. "a photo of [A] makeup". */
    @RestForm("reference_prompt")
    public String referencePrompt;

    /** Compositions only: the word of the reference prompt naming the attribute, e.g. "makeup". */
    @RestForm("attribute_word")
    public String attributeWord;
}
