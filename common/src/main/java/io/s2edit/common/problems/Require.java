package io.s2edit.common.problems;

import java.util.Collection;

/** Checks used by the compact constructors; each failure names the field and the valid range. */
public final class Require {

    private Require() {
    }

    public static <T> T present(String field, T value) {
        if (value == null) {
            throw new InvalidValueException(ProblemType.MISSING_FIELD, field, field + " is required");
        }
        return value;
    }

    public static String notBlank(String field, String value) {
        present(field, value);
        if (value.isBlank()) {
            throw new InvalidValueException(ProblemType.MISSING_FIELD, field, field + " must not be blank");
        }
        return value;
    }

    public static int between(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new InvalidValueException(field, field + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    public static double between(String field, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new InvalidValueException(field, field + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    /** {@code min < value <= max}. */
    public static double aboveAtMost(String field, double value, double min, double max) {
        if (!(value > min && value <= max)) {
            throw new InvalidValueException(field, field + " must be above " + min + " and at most " + max + ", got " + value);
        }
        return value;
    }

    public static <C extends Collection<?>> C sized(String field, C values, int min, int max) {
        present(field, values);
        if (values.size() < min || values.size() > max) {
            throw new InvalidValueException(field,
                    field + " must hold between " + min + " and " + max + " entries, got " + values.size());
        }
        return values;
    }

    public static void that(boolean condition, String field, String message) {
        if (!condition) {
            throw new InvalidValueException(field, message);
        }
    }
}
