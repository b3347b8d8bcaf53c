package io.s2edit.deploy;

import io.s2edit.deploy.client.EditCommand;
import io.s2edit.deploy.hub.HubDownloader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ./s2edit up | edit | pull}: the local stack, the REST client and the model download. The
 * launcher passes the repository as {@code -Ds2edit.root}.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] argv) {
        int status;
        try {
            status = run(argv);
        } catch (CommandLine.UsageError e) {
            System.err.println("s2edit " + e.getMessage());
            status = 2;
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("s2edit " + (argv.length > 0 ? argv[0] : "") + ": " + e.getMessage());
            status = 1;
        } catch (Exception e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    static int run(String[] argv) throws Exception {
        String command = argv.length == 0 ? "help" : argv[0];
        String[] rest = argv.length == 0 ? argv : Arrays.copyOfRange(argv, 1, argv.length);
        return switch (command) {
            case "up" -> up(rest);
            case "edit" -> new EditCommand(System.out, System.err).run(rest);
            case "pull" -> pull(rest);
            default -> {
                System.err.println("""
                        usage: ./s2edit up   [--model DIR|ORG/NAME] [--data DIR] [--port 8080]
                               ./s2edit edit --server URL --image IMG --source PROMPT --object WORD --target PROMPT... --out DIR
                               ./s2edit pull ORG/NAME   (download a hub model into the Hugging Face cache)""");
                yield command.equals("help") ? 0 : 2;
            }
        };
    }

    static Path root() {
        return Path.of(System.getProperty("s2edit.root", ".")).toAbsolutePath().normalize();
    }

    /** A folder as given, or a hub id downloaded into the Hugging Face cache. */
    static Path model(String spec) throws IOException, InterruptedException {
        Path dir = Path.of(spec);
        if (Files.isDirectory(dir)) {
            return dir.toAbsolutePath().normalize();
        }
        if (HubDownloader.isRepoId(spec)) {
            return HubDownloader.fromEnvironment(System.err).download(spec, "main");
        }
        throw new IllegalArgumentException("--model " + spec + " is neither a folder nor a Hugging Face model id (org/name)");
    }

    private static int pull(String[] argv) throws Exception {
        if (argv.length != 1 || argv[0].startsWith("--")) {
            throw new CommandLine.UsageError("pull: give one model id, e.g. ./s2edit pull stable-diffusion-v1-5/stable-diffusion-v1-5");
        }
        Path dir = HubDownloader.fromEnvironment(System.err).download(argv[0], "main");
        System.out.println(dir);
        return 0;
    }

    private static int up(String[] argv) throws Exception {
        CommandLine cl = new CommandLine("up", argv, Set.of("model", "data", "port"), Set.of());
        Path root = root();
        Path model = model(cl.get("model", root.resolve("gpu-worker/src/test/resources/reference/tiny").toString()));
        Path data = Path.of(cl.get("data", root.resolve("data").toString()));
        int port = cl.integer("port", 1, 65535) == null ? 8080 : cl.integer("port", 1, 65535);
        LocalStack.Options options = new LocalStack.Options(root, model, data, port, List.of());
        AtomicBoolean stopping = new AtomicBoolean();
        LocalStack[] started = new LocalStack[1];
        Thread hook = new Thread(() -> {
            stopping.set(true);
            LocalStack s;
            synchronized (started) {
                s = started[0];
            }
            if (s != null) {
                System.err.println("\ns2edit: stopping the worker, the gateway and the servers ...");
                s.close();
                System.err.println("s2edit: stopped; data kept in " + s.options().data());
            }
        }, "s2edit-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        LocalStack stack = LocalStack.start(options, System.err);
        synchronized (started) {
            started[0] = stack;
        }
        System.out.println(stack.describe());
        // Stay up until Ctrl-C (the hook stops everything) or until a child exits on its own.
        while (true) {
            Thread.sleep(1000);
            if (stopping.get()) {
                continue; // the hook is stopping everything; the JVM ends after it
            }
            for (AppProcess p : stack.workers()) {
                if (!p.isAlive()) {
                    return died(p);
                }
            }
            if (!stack.gateway().isAlive()) {
                return died(stack.gateway());
            }
        }
    }

    private static int died(AppProcess p) {
        System.err.println("s2edit: the " + p.name() + " exited; the end of " + p.log() + ":\n" + p.logTail(30));
        return 1; // System.exit runs the hook, which stops the rest
    }
}
