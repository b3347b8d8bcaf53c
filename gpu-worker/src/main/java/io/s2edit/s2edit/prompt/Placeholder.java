package io.s2edit.s2edit.prompt;

/**
 * The special tokens S2Edit inserts into prompts: {@code [I]}, the identity token of the source
 * image (§3.1), and {@code [A]}, the attribute token of the reference image in compositional
 * editing (§3.3). The tokenizer matches added tokens case-insensitively, so {@code [i]} is the
 * same token as {@code [I]}.
 */
public enum Placeholder {

    /** {@code [I]}: the identity of the source image. */
    IDENTITY("[I]"),
    /** {@code [A]}: the attribute copied from a reference image. */
    ATTRIBUTE("[A]");

    private final String text;

    Placeholder(String text) {
        this.text = text;
    }

    /** The literal written in prompts, e.g. {@code [I]}. */
    public String text() {
        return text;
    }

    /** The placeholder written as {@code text} ("[I]" or "[A]", any case). */
    public static Placeholder of(String text) {
        for (Placeholder p : values()) {
            if (p.text.equalsIgnoreCase(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown placeholder '" + text + "'; use [I] (identity) or [A] (attribute)");
    }
}
