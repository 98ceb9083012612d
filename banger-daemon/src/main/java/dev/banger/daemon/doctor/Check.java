package dev.banger.daemon.doctor;

import dev.banger.core.model.DoctorCheck;

/** One row of {@code banger doctor}. Reads the host; never writes, migrates or starts anything lasting. */
interface Check {

    /** The row's name, also used when the check itself throws. */
    String name();

    DoctorCheck run() throws Exception;
}
