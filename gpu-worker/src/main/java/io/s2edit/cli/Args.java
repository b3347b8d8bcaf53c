package io.s2edit.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Command-line options of the form {@code --name value} (repeatable) and {@code --flag}. Unknown
 * or malformed options are errors that name the option and list the valid ones.
 */
final class Args {

    private final String command;
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private Args(String command) {
        this.command = command;
    }

    /** Parses {@code argv}; {@code options} take a value, {@code flags} do not. */
    static Args parse(String command, String[] argv, Set<String> options, Set<String> flags) {
        Args args = new Args(command);
        for (int i = 0; i < argv.length; i++) {
            String arg = argv[i];
            if (!arg.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            if (flags.contains(name)) {
                args.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (options.contains(name)) {
                if (i + 1 >= argv.length) {
                    throw new UsageException(command + ": option --" + name + " needs a value");
                }
                args.values.computeIfAbsent(name, k -> new ArrayList<>()).add(argv[++i]);
            } else {
                Set<String> valid = new TreeSet<>(); // sorted: the sets' own order is a hash order
                options.forEach(o -> valid.add("--" + o + " VALUE"));
                flags.forEach(f -> valid.add("--" + f));
                throw new UsageException(command + ": unknown option '" + arg + "'; valid options: " + String.join(", ", valid));
            }
        }
        return args;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    String required(String name) {
        List<String> v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": --" + name + " is required");
        }
        return v.get(v.size() - 1);
    }

    String string(String name, String fallback) {
        List<String> v = values.get(name);
        return v == null ? fallback : v.get(v.size() - 1);
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    Path path(String name) {
        return Path.of(required(name));
    }

    int integer(String name, int fallback, int min, int max) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new UsageException(command + ": --" + name + " must be in [" + min + ", " + max + "], got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
        }
    }

    long longValue(String name, long fallback) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
        }
    }

    double decimal(String name, double fallback, double min, double max) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v);
            if (!(d >= min && d <= max)) {
                throw new UsageException(command + ": --" + name + " must be in [" + min + ", " + max + "], got " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, got '" + v + "'");
        }
    }
}
