package io.s2edit.cli;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/** The {@code ./s2edit} subcommands that run in this JVM. */
public final class Main {

    /** A subcommand: parses its own options and returns an exit code. */
    interface Command {
        int run(String[] args) throws Exception;

        String summary();
    }

    private static final Map<String, Command> COMMANDS = new TreeMap<>(Map.of(
            "generate", new GenerateCommand(),
            "bench-engine", new BenchEngineCommand(),
            "bench-stages", new BenchStagesCommand(),
            "edit-local", new EditLocalCommand(false),
            "compose-local", new EditLocalCommand(true)));

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help")) {
            usage();
            return argv.length == 0 ? 2 : 0;
        }
        Command command = COMMANDS.get(argv[0]);
        if (command == null) {
            System.err.println("s2edit: unknown command '" + argv[0] + "'; commands: " + String.join(", ", COMMANDS.keySet()));
            return 2;
        }
        try {
            return command.run(Arrays.copyOfRange(argv, 1, argv.length));
        } catch (UsageException e) {
            System.err.println("s2edit " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException | java.io.IOException e) {
            System.err.println("s2edit " + argv[0] + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            System.err.println("s2edit " + argv[0] + " failed:");
            e.printStackTrace();
            return 1;
        }
    }

    private static void usage() {
        System.err.println("usage: ./s2edit COMMAND [options]");
        COMMANDS.forEach((name, c) -> System.err.printf("  %-12s %s%n", name, c.summary()));
    }
}
