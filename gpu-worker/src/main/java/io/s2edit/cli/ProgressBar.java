package io.s2edit.cli;

import io.s2edit.engine.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: {@code denoise [#########-----------]  9/20  1.8 it/s  ETA 6s}.
 * On a terminal the line is redrawn in place; otherwise (logs, CI) a line is printed per stage end
 * and at most every 10% so output stays short.
 */
final class ProgressBar implements Progress {

    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean interactive;
    private String stage;
    private long stageStart;
    private int lastDecile = -1;

    ProgressBar(PrintStream out) {
        this.out = out;
        this.interactive = System.console() != null;
    }

    @Override
    public synchronized void update(String stage, int step, int total) {
        long now = System.nanoTime();
        if (!stage.equals(this.stage)) {
            this.stage = stage;
            this.stageStart = now;
            this.lastDecile = -1;
        }
        double seconds = (now - stageStart) / 1e9;
        double rate = step > 0 && seconds > 0 ? step / seconds : 0;
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * step / total);
        String line = String.format(Locale.ROOT, "%-10s [%s%s] %4d/%-4d %6.2f it/s  %s", stage,
                "#".repeat(filled), "-".repeat(WIDTH - filled), step, total, rate,
                step >= total ? String.format(Locale.ROOT, "%.1fs", seconds)
                        : rate > 0 ? String.format(Locale.ROOT, "ETA %.0fs", (total - step) / rate) : "");
        if (interactive) {
            out.print("\r" + line + (step >= total ? "\n" : ""));
            out.flush();
        } else {
            int decile = total == 0 ? 10 : 10 * step / total;
            if (decile != lastDecile || step >= total) {
                lastDecile = decile;
                out.println(line);
            }
        }
    }
}
