package dev.banger.daemon.store;

import java.util.List;

/**
 * The schema's history. Append only: a released migration is never edited, because stores in the
 * field already ran it. {@code PRAGMA user_version} records the last one applied.
 */
final class Migrations {

    static final List<Migration> ALL = List.of(
            new Migration(1, "kernels, images and vms", List.of(
                    """
                    CREATE TABLE kernels (
                      id            TEXT PRIMARY KEY,
                      name          TEXT NOT NULL UNIQUE,
                      version       TEXT,
                      distro        TEXT,
                      arch          TEXT NOT NULL DEFAULT 'x86_64',
                      dir           TEXT NOT NULL,
                      vmlinuz_path  TEXT,
                      vmlinux_path  TEXT,
                      initrd_path   TEXT,
                      modules_path  TEXT,
                      managed       INTEGER NOT NULL CHECK (managed IN (0, 1)),
                      source        TEXT,
                      sha256        TEXT,
                      created_at    TEXT NOT NULL
                    )""",
                    """
                    CREATE TABLE images (
                      id              TEXT PRIMARY KEY,
                      name            TEXT NOT NULL UNIQUE,
                      source          TEXT,
                      digest          TEXT,
                      distro          TEXT,
                      arch            TEXT NOT NULL DEFAULT 'x86_64',
                      dir             TEXT,
                      rootfs_path     TEXT NOT NULL,
                      work_seed_path  TEXT,
                      kernel_id       TEXT REFERENCES kernels(id) ON DELETE RESTRICT,
                      managed         INTEGER NOT NULL CHECK (managed IN (0, 1)),
                      size_bytes      INTEGER NOT NULL DEFAULT 0,
                      created_at      TEXT NOT NULL
                    )""",
                    """
                    CREATE TABLE vms (
                      id          TEXT PRIMARY KEY,
                      name        TEXT NOT NULL UNIQUE,
                      image_id    TEXT NOT NULL REFERENCES images(id) ON DELETE RESTRICT,
                      state       TEXT NOT NULL CHECK (state IN ('created', 'running', 'stopped', 'error')),
                      vcpu        INTEGER NOT NULL CHECK (vcpu > 0),
                      memory_mib  INTEGER NOT NULL CHECK (memory_mib > 0),
                      disk_bytes  INTEGER NOT NULL CHECK (disk_bytes > 0),
                      guest_ip    TEXT UNIQUE,
                      mac         TEXT,
                      last_error  TEXT,
                      created_at  TEXT NOT NULL,
                      updated_at  TEXT NOT NULL
                    )""",
                    "CREATE INDEX vms_image ON vms(image_id)",
                    "CREATE INDEX images_kernel ON images(kernel_id)")),
            new Migration(2, "operations log and per-VM NAT flag", List.of(
                    """
                    CREATE TABLE operations (
                      id           TEXT PRIMARY KEY,
                      method       TEXT NOT NULL,
                      state        TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'cancelled')),
                      peer         TEXT,
                      started_at   TEXT NOT NULL,
                      finished_at  TEXT,
                      error        TEXT
                    )""",
                    "CREATE INDEX operations_started ON operations(started_at)",
                    "ALTER TABLE vms ADD COLUMN nat INTEGER NOT NULL DEFAULT 0 CHECK (nat IN (0, 1))")),
            // Existing VMs become isolated: the safe side; `vm set --no-isolate` opens one again.
            new Migration(3, "per-VM isolation from other guests", List.of(
                    "ALTER TABLE vms ADD COLUMN isolate INTEGER NOT NULL DEFAULT 1 CHECK (isolate IN (0, 1))")),
            // One host port per protocol across all VMs, whatever the address: 127.0.0.1:8080 and 0.0.0.0:8080 overlap.
            new Migration(4, "published ports", List.of(
                    """
                    CREATE TABLE vm_forwards (
                      vm_id       TEXT NOT NULL REFERENCES vms(id) ON DELETE CASCADE,
                      proto       TEXT NOT NULL CHECK (proto IN ('tcp', 'udp')),
                      host_ip     TEXT NOT NULL,
                      host_port   INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
                      guest_port  INTEGER NOT NULL CHECK (guest_port BETWEEN 1 AND 65535),
                      PRIMARY KEY (proto, host_port)
                    )""",
                    "CREATE INDEX vm_forwards_vm ON vm_forwards(vm_id)")),
            // A snapshot is removed with its VM (vm delete), so vm_id always names a row.
            new Migration(5, "VM snapshots", List.of(
                    """
                    CREATE TABLE snapshots (
                      id            TEXT PRIMARY KEY,
                      name          TEXT NOT NULL UNIQUE,
                      vm_id         TEXT NOT NULL REFERENCES vms(id) ON DELETE RESTRICT,
                      image_id      TEXT NOT NULL,
                      vcpu          INTEGER NOT NULL,
                      memory_mib    INTEGER NOT NULL,
                      disk_bytes    INTEGER NOT NULL,
                      hypervisor    TEXT NOT NULL,
                      state_format  TEXT NOT NULL,
                      state_bytes   INTEGER NOT NULL,
                      size_bytes    INTEGER NOT NULL,
                      pause_millis  INTEGER NOT NULL,
                      created_at    TEXT NOT NULL
                    )""",
                    "CREATE INDEX snapshots_vm ON snapshots(vm_id)")),
            // Clones (vms.from_snapshot) run on copy-on-write disks over a snapshot's files, so a snapshot
            // outlives the VM it was taken of: vm_id loses its reference and the snapshot keeps the VM's
            // name. A snapshot with clones is not deleted (checked by the service, naming them).
            new Migration(6, "snapshots outlive their VM; clones", List.of(
                    """
                    CREATE TABLE snapshots_v6 (
                      id            TEXT PRIMARY KEY,
                      name          TEXT NOT NULL UNIQUE,
                      vm_id         TEXT NOT NULL,
                      vm_name       TEXT NOT NULL,
                      image_id      TEXT NOT NULL,
                      vcpu          INTEGER NOT NULL,
                      memory_mib    INTEGER NOT NULL,
                      disk_bytes    INTEGER NOT NULL,
                      hypervisor    TEXT NOT NULL,
                      state_format  TEXT NOT NULL,
                      state_bytes   INTEGER NOT NULL,
                      size_bytes    INTEGER NOT NULL,
                      pause_millis  INTEGER NOT NULL,
                      created_at    TEXT NOT NULL
                    )""",
                    """
                    INSERT INTO snapshots_v6 SELECT s.id, s.name, s.vm_id, v.name, s.image_id, s.vcpu, s.memory_mib, s.disk_bytes,
                      s.hypervisor, s.state_format, s.state_bytes, s.size_bytes, s.pause_millis, s.created_at
                      FROM snapshots s JOIN vms v ON v.id = s.vm_id""",
                    "DROP TABLE snapshots",
                    "ALTER TABLE snapshots_v6 RENAME TO snapshots",
                    "CREATE INDEX snapshots_vm ON snapshots(vm_id)",
                    "ALTER TABLE vms ADD COLUMN from_snapshot TEXT",
                    "CREATE INDEX vms_from_snapshot ON vms(from_snapshot)")),
            // Warm start: a template is a snapshot with a key (one per key, hidden from vm snapshot list),
            // taken of a hidden VM (no listing shows it) that lives only while the template is built.
            new Migration(7, "warm-start templates", List.of(
                    "ALTER TABLE vms ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1))",
                    "ALTER TABLE snapshots ADD COLUMN template_key TEXT",
                    "CREATE UNIQUE INDEX snapshots_template_key ON snapshots(template_key)")));

    private Migrations() {
    }

    static int latestVersion() {
        return ALL.getLast().version();
    }
}
