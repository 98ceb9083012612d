package dev.banger.daemon.store;

import java.security.SecureRandom;
import java.util.HexFormat;

/** The one id scheme of VM, image and kernel rows: 16 random hex digits (also their directories' names). */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    public static String newId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
