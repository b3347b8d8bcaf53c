package io.s2edit.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** Versions written into versions.properties by the build (resource filtering of the root pom's properties). */
final class Versions {

    private static final Properties PROPS = load();

    private Versions() {
    }

    static String get(String name) {
        String v = PROPS.getProperty(name);
        if (v == null || v.startsWith("${")) {
            throw new IllegalStateException("versions.properties lacks " + name + "; was test-support built by Maven?");
        }
        return v;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("versions.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
