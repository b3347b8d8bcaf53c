package io.s2edit.deploy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --name value} options (repeatable) and {@code --flag}s of one command. Mistakes are
 * {@link UsageError}s that name the option and list the valid ones.
 */
public final class CommandLine {

    /** A mistake on the command line: exit status 2. */
    public static final class UsageError extends RuntimeException {
        public UsageError(String message) {
            super(message);
        }
    }

    private final String command;
    private final Map<String, List<String>> given = new HashMap<>();

    public CommandLine(String command, String[] argv, Set<String> valued, Set<String> flags) {
        this.command = command;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            String name = a.startsWith("--") ? a.substring(2) : null;
            if (name != null && flags.contains(name)) {
                given.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (name != null && valued.contains(name)) {
                if (i + 1 == argv.length) {
                    throw new UsageError(command + ": --" + name + " needs a value");
                }
                given.computeIfAbsent(name, k -> new ArrayList<>()).add(argv[++i]);
            } else {
                Set<String> valid = new TreeSet<>();
                valued.forEach(v -> valid.add("--" + v + " VALUE"));
                flags.forEach(f -> valid.add("--" + f));
                throw new UsageError(command + ": unknown argument '" + a + "'; valid: " + String.join(", ", valid));
            }
        }
    }

    /** A usage error of this command. */
    public UsageError usage(String message) {
        return new UsageError(message);
    }

    public boolean has(String name) {
        return given.containsKey(name);
    }

    public String get(String name, String fallback) {
        List<String> v = given.get(name);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    public String require(String name) {
        String v = get(name, null);
        if (v == null) {
            throw new UsageError(command + ": --" + name + " is required");
        }
        return v;
    }

    public List<String> all(String name) {
        return given.getOrDefault(name, List.of());
    }

    public Integer integer(String name, int min, int max) {
        String v = get(name, null);
        if (v == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new UsageError(command + ": --" + name + " must be between " + min + " and " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageError(command + ": --" + name + " must be a whole number, got '" + v + "'");
        }
    }

    public Long longInteger(String name) {
        String v = get(name, null);
        try {
            return v == null ? null : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageError(command + ": --" + name + " must be a whole number, got '" + v + "'");
        }
    }

    public Double decimal(String name, double min, double max) {
        String v = get(name, null);
        if (v == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(v);
            if (!(d >= min && d <= max)) {
                throw new UsageError(command + ": --" + name + " must be between " + min + " and " + max + ", got " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new UsageError(command + ": --" + name + " must be a number, got '" + v + "'");
        }
    }
}
