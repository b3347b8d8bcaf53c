package io.s2edit.common.problems;

/**
 * The stable problem types of the REST API (RFC 9457 {@code type}). Clients switch on
 * {@link #uri()}; the slug never changes once published, the title may be reworded.
 */
public enum ProblemType {
    MALFORMED_JSON("malformed-json", 400, "The request body is not valid JSON"),
    MALFORMED_REQUEST("malformed-request", 400, "The request is malformed"),
    MISSING_FIELD("missing-field", 400, "A required field is missing"),
    INVALID_VALUE("invalid-value", 422, "A field has an invalid value"),
    EMPTY_FILE("empty-file", 422, "The uploaded file is empty"),
    NOT_AN_IMAGE("not-an-image", 422, "The uploaded file is not a supported image (PNG, JPEG, BMP, GIF)"),
    IMAGE_TOO_LARGE("image-too-large", 413, "The uploaded image exceeds the configured limit"),
    IDENTITY_TOKEN_MISSING("identity-token-missing", 422, "The prompt does not contain the identity token"),
    IDENTITY_TOKEN_REPEATED("identity-token-repeated", 422, "The prompt contains the identity token more than once"),
    OBJECT_WORD_NOT_IN_PROMPT("object-word-not-in-prompt", 422, "The object word does not appear in the prompt"),
    OBJECT_WORD_REPEATED("object-word-repeated", 422, "The object word appears more than once in the prompt"),
    PROMPT_TOO_LONG("prompt-too-long", 422, "The prompt is longer than the text encoder's 77 tokens"),
    IDEMPOTENCY_KEY_REUSED("idempotency-key-reused", 422, "The Idempotency-Key was already used with a different request"),
    WEBHOOK_URL_REFUSED("webhook-url-refused", 422, "The webhook URL is not allowed"),
    JOB_NOT_FOUND("job-not-found", 404, "No job has this id"),
    IDENTITY_NOT_FOUND("identity-not-found", 404, "No identity has this id"),
    OUTPUT_NOT_FOUND("output-not-found", 404, "The job has no output of this name"),
    JOB_NOT_CANCELABLE("job-not-cancelable", 409, "The job has already ended"),
    PARENT_NOT_USABLE("parent-not-usable", 409, "The job this request depends on failed or was canceled"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", 415, "The request's content type is not supported here"),
    STORAGE_UNAVAILABLE("storage-unavailable", 503, "Object storage is not reachable"),
    INTERNAL_ERROR("internal-error", 500, "Internal error");

    /** Every type URI starts with this; the slug follows. */
    public static final String URI_PREFIX = "urn:s2edit:problem:";

    private final String slug;
    private final int status;
    private final String title;

    ProblemType(String slug, int status, String title) {
        this.slug = slug;
        this.status = status;
        this.title = title;
    }

    public String slug() {
        return slug;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String uri() {
        return URI_PREFIX + slug;
    }
}
