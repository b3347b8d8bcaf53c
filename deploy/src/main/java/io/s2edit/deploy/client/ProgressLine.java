package io.s2edit.deploy.client;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One line of progress per job on stderr, {@code finetune  [##########----------]  10/20}: redrawn
 * in place on a terminal, otherwise printed at most every 10% of a stage so logs stay short.
 */
final class ProgressLine {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean interactive;
    private String drawnStage;
    private int lastDecile = -1;
    private boolean open;

    ProgressLine(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    synchronized void update(String label, String stage, int step, int total) {
        if (total < 1) {
            return;
        }
        if (!stage.equals(drawnStage)) {
            if (open && interactive) {
                out.println();
            }
            drawnStage = stage;
            lastDecile = -1;
        }
        int filled = (int) ((long) WIDTH * Math.min(step, total) / total);
        String line = String.format(Locale.ROOT, "%-8s %-10s [%s%s] %4d/%-4d", label, stage, "#".repeat(filled),
                "-".repeat(WIDTH - filled), step, total);
        if (interactive) {
            out.print("\r" + line);
            open = true;
        } else {
            int decile = 10 * step / total;
            if (decile != lastDecile || step == total) {
                lastDecile = decile;
                out.println(line);
            }
        }
        out.flush();
    }

    /** A message on a line of its own. */
    synchronized void say(String message) {
        if (open && interactive) {
            out.println();
            open = false;
        }
        drawnStage = null;
        out.println(message);
    }
}
