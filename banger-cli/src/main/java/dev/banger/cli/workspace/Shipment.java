package dev.banger.cli.workspace;

import dev.banger.cli.exec.ProcessLauncher;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code vm run PATH} / {@code vm workspace prepare} ship, read by the CLI as the user: the
 * work tree's files as they are on disk (or a committed tree with {@code --from}), and a shallow
 * {@code .git} whose HEAD is the host's HEAD commit: a pack of exactly that commit's objects (plus
 * staged blobs) with its .idx (so the guest never indexes it), the host's index (so the guest's
 * {@code git status} needs no rehash: tar keeps sizes and mtimes and core.checkStat=minimal
 * compares only those), the branch ref, {@code shallow}, and a config with the host's identity.
 * Everything goes out as one tar stream.
 */
public final class Shipment {

    /** @param from a committed tree to ship instead of the work tree, or null */
    public record Options(boolean includeUntracked, String from) {
    }

    /** One file to ship: {@code stamp} is its mtime in ms (work tree) or its blob id ({@code --from}). */
    record Entry(String path, int mode, long size, String stamp, String linkTarget, String blob) {
        boolean symlink() {
            return (mode & 0170000) == 0120000;
        }

        String manifestLine() {
            return Integer.toOctalString(mode) + " " + size + " " + stamp + " " + path;
        }
    }

    /** What an update sends: the files to (re)send and the paths to remove first. */
    public record Delta(List<String> send, List<String> delete, String oldHead, String oldIndex) {
        /** Nothing to send: the same files, HEAD and index (a `git add` changes only the index). */
        public boolean empty(Shipment s) {
            return send.isEmpty() && delete.isEmpty() && s.head.equals(oldHead) && s.index.equals(oldIndex);
        }
    }

    private final Git git;
    private final Path root;
    private final String head;
    private final String branch;
    private final String from;
    private final String index;
    private final long mtimeSeconds;
    private final Map<String, Entry> entries;

    private Shipment(Git git, Path root, String head, String branch, String from, String index, Map<String, Entry> entries) {
        this.git = git;
        this.index = index;
        this.root = root;
        this.head = head;
        this.branch = branch;
        this.from = from;
        this.entries = entries;
        this.mtimeSeconds = System.currentTimeMillis() / 1000;
    }

    /** Resolves PATH to its work tree's top level and lists what to ship; refuses what cannot be shipped faithfully. */
    public static Shipment plan(Path path, Options options) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS) && !Files.exists(path)) {
            throw new WorkspaceException(path + " does not exist");
        }
        if (!Files.isDirectory(path)) {
            throw new WorkspaceException(path + " is not a directory: give the directory of a git work tree");
        }
        if (!Files.isReadable(path) || !Files.isExecutable(path)) {
            throw new WorkspaceException(path + " cannot be read by you (" + System.getProperty("user.name")
                    + "): banger ships only what you can read");
        }
        ProcessLauncher.Output top = new Git(path).runAllowingFailure(Map.of(), new byte[0], "rev-parse", "--show-toplevel");
        String topLevel = new String(top.stdout(), StandardCharsets.UTF_8).strip();
        if (top.exitCode() != 0 || topLevel.isEmpty()) {
            throw new WorkspaceException(path + " is not in a git work tree (" + firstLine(top.stderr()) + ")");
        }
        Git git = new Git(Path.of(topLevel));
        String rev = options.from() == null ? "HEAD" : options.from();
        ProcessLauncher.Output commit = git.runAllowingFailure(Map.of(), new byte[0], "rev-parse", "-q", "--verify", rev + "^{commit}");
        if (commit.exitCode() != 0) {
            throw new WorkspaceException(options.from() == null ? "the repository at " + topLevel + " has no commit yet: commit once, then ship it"
                    : "--from " + options.from() + " names no commit in " + topLevel);
        }
        String head = new String(commit.stdout(), StandardCharsets.UTF_8).strip();
        String branch = null;
        if (options.from() == null) {
            ProcessLauncher.Output ref = git.runAllowingFailure(Map.of(), new byte[0], "symbolic-ref", "-q", "HEAD");
            branch = ref.exitCode() == 0 ? new String(ref.stdout(), StandardCharsets.UTF_8).strip() : null;
        }
        Map<String, Entry> entries = options.from() == null ? workTreeEntries(git, options.includeUntracked())
                : treeEntries(git, head);
        // The staged state (paths, modes, blobs, stages), not the index file: a host `git status` rewrites stat data only.
        String index = options.from() != null ? "none" : sha256(git.run(Map.of(), new byte[0], "ls-files", "-s", "-z"));
        return new Shipment(git, git.dir(), head, branch, options.from(), index, entries);
    }

    public Path root() {
        return root;
    }

    public String head() {
        return head;
    }

    /** The branch HEAD names ({@code refs/heads/...}), or null when detached or shipping --from. */
    public String branch() {
        return branch;
    }

    public int files() {
        return entries.size();
    }

    /** The first lines name HEAD and the SHA-256 of the staged state (`git ls-files -s`); then one line per file: octal mode, size, mtime (ms) or blob id, path. */
    public String manifest() {
        StringBuilder b = new StringBuilder("head ").append(head).append('\n').append("index ").append(index).append('\n');
        entries.values().forEach(e -> b.append(e.manifestLine()).append('\n'));
        return b.toString();
    }

    public String manifestSha256() {
        return sha256(manifest().getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path indexPath(Git git) {
        return Path.of(git.text("rev-parse", "--path-format=absolute", "--git-path", "index"));
    }


    /** What changed against the last ship's manifest, plus what the guest changed itself (re-sent, or removed). */
    public Delta against(String oldManifest, List<String> guestChanged) {
        Map<String, String> old = new HashMap<>();
        String oldHead = "";
        String oldIndex = "";
        for (String line : oldManifest.split("\n")) {
            if (line.startsWith("head ")) {
                oldHead = line.substring(5);
            } else if (line.startsWith("index ")) {
                oldIndex = line.substring(6);
            } else if (!line.isEmpty()) {
                String[] f = line.split(" ", 4);
                old.put(f[3], line);
            }
        }
        Set<String> send = new LinkedHashSet<>();
        Set<String> delete = new LinkedHashSet<>();
        for (Entry e : entries.values()) {
            String was = old.get(e.path());
            if (!e.manifestLine().equals(was)) {
                send.add(e.path());
                if (was != null && !was.split(" ", 2)[0].equals(Integer.toOctalString(e.mode()))) {
                    delete.add(e.path()); // a file that became a link (or back): removed first, never written through
                }
            }
        }
        old.keySet().stream().filter(p -> !entries.containsKey(p)).forEach(delete::add);
        for (String p : guestChanged) {
            if (entries.containsKey(p)) {
                send.add(p);
                delete.add(p);
            } else {
                delete.add(p);
            }
        }
        return new Delta(List.copyOf(send), List.copyOf(delete), oldHead, oldIndex);
    }

    /**
     * The tar stream of this shipment, produced on a thread of its own while the caller's reader
     * consumes it. A failure while producing it makes the reader's read throw, so the upload is
     * cut short (never a complete-looking stream). {@code delta} null: everything; then, when
     * {@code guestHasGit}, the files the index already describes travel only in the (compressed)
     * pack and the guest checks them out of it ({@code .git/banger/checkout} lists them).
     */
    public InputStream stream(Delta delta, boolean guestHasGit) {
        PipedInputStream in = new PipedInputStream(1 << 20);
        FailingInput result = new FailingInput(in);
        PipedOutputStream out;
        try {
            out = new PipedOutputStream(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Thread.ofVirtual().name("banger-ship").start(() -> {
            try (out) {
                write(out, delta, delta == null && guestHasGit);
            } catch (IOException | RuntimeException e) {
                result.failure = e;
            }
        });
        return result;
    }

    /** Which files go in the tar, which the guest checks out of the pack, which it deletes. */
    private record Plan(List<String> send, List<String> checkout, List<String> delete) {
    }

    private Plan plan(Delta delta, boolean checkout, Path index) {
        if (delta != null) {
            return new Plan(delta.send(), List.of(), delta.delete());
        }
        if (!checkout) {
            return new Plan(List.copyOf(entries.keySet()), List.of(), List.of());
        }
        if (from != null) {
            return new Plan(List.of(), List.copyOf(entries.keySet()), List.of());
        }
        Map<String, String> env = Map.of("GIT_INDEX_FILE", index.toString());
        Set<String> indexed = new java.util.HashSet<>(Git.nulSeparated(git.run(env, new byte[0], "ls-files", "-z")));
        // Files whose content is not the index's (modified or deleted on disk); stat data was refreshed in the copy.
        Set<String> differ = new java.util.HashSet<>(Git.nulSeparated(git.run(env, new byte[0], "diff-files", "--name-only", "-z",
                "--ignore-submodules")));
        List<String> send = new ArrayList<>();
        List<String> fromPack = new ArrayList<>();
        for (String p : entries.keySet()) {
            (indexed.contains(p) && !differ.contains(p) ? fromPack : send).add(p);
        }
        List<String> delete = differ.stream().filter(p -> !entries.containsKey(p)).sorted().toList();
        return new Plan(send, fromPack, delete);
    }

    private void write(OutputStream out, Delta delta, boolean checkout) throws IOException {
        Path tmp = Files.createTempDirectory("banger-ship-");
        try {
            GitDir gitDir = gitDir(tmp, delta == null ? null : delta.oldHead());
            Plan plan = plan(delta, checkout, tmp.resolve("index"));
            TarWriter tar = new TarWriter(new java.io.BufferedOutputStream(out, 1 << 16));
            try (ContentReader contents = new ContentReader(git, from != null && !checkout)) {
                for (String p : plan.send()) {
                    Entry e = entries.get(p);
                    if (e.symlink()) {
                        tar.symlink(p, e.linkTarget(), stampSeconds(e));
                    } else if (from != null) {
                        tar.file(p, e.mode() & 0777, mtimeSeconds, e.size(), contents.blob(e.blob(), e.size()));
                    } else {
                        try (InputStream f = Files.newInputStream(root.resolve(p), LinkOption.NOFOLLOW_LINKS)) {
                            tar.file(p, e.mode() & 0777, stampSeconds(e), e.size(), f);
                        }
                    }
                }
            }
            for (String dir : List.of(".git/objects/info", ".git/refs/heads", ".git/refs/tags", ".git/banger")) {
                tar.directory(dir, 0755, mtimeSeconds);
            }
            for (Map.Entry<String, byte[]> f : gitDir.files.entrySet()) {
                if (f.getKey().equals(".git/index") && delta != null && index.equals(delta.oldIndex())) {
                    // Same staged state: the guest's own index stays, with the guest's stat data, so
                    // its git re-reads only the files this update sends, not every file.
                    continue;
                }
                tar.file(f.getKey(), 0644, mtimeSeconds, f.getValue());
            }
            for (Path pack : gitDir.packs) {
                try (InputStream in = Files.newInputStream(pack)) {
                    tar.file(".git/objects/pack/" + pack.getFileName(), 0444, mtimeSeconds, Files.size(pack), in);
                }
            }
            if (!plan.checkout().isEmpty()) {
                tar.file(".git/banger/checkout", 0644, mtimeSeconds, nulJoined(plan.checkout()));
            }
            if (!plan.delete().isEmpty()) {
                tar.file(".git/banger/deleted", 0644, mtimeSeconds, (String.join("\n", plan.delete()) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            tar.file(".git/banger/manifest.new", 0644, mtimeSeconds, manifest().getBytes(StandardCharsets.UTF_8));
            tar.file(".git/banger/shipped", 0644, mtimeSeconds, new byte[0]); // last: the guest checks the stream arrived whole
            tar.close();
        } finally {
            TempDirs.delete(tmp);
        }
    }

    private static byte[] nulJoined(List<String> paths) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (String p : paths) {
            b.writeBytes(p.getBytes(StandardCharsets.UTF_8));
            b.write(0);
        }
        return b.toByteArray();
    }

    private long stampSeconds(Entry e) {
        return from != null ? mtimeSeconds : Long.parseLong(e.stamp()) / 1000;
    }

    /** The .git skeleton (small files by name) and the pack files. */
    private record GitDir(Map<String, byte[]> files, List<Path> packs) {
    }

    private GitDir gitDir(Path tmp, String oldHead) throws IOException {
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        files.put(".git/HEAD", (branch != null ? "ref: " + branch : head).concat("\n").getBytes(StandardCharsets.UTF_8));
        if (branch != null) {
            files.put(".git/" + branch, (head + "\n").getBytes(StandardCharsets.UTF_8));
        }
        files.put(".git/shallow", (head + "\n").getBytes(StandardCharsets.UTF_8));
        files.put(".git/config", config().getBytes(StandardCharsets.UTF_8));
        files.put(".git/description", "shipped by banger\n".getBytes(StandardCharsets.UTF_8));
        Path index = tmp.resolve("index");
        Map<String, String> env = Map.of("GIT_INDEX_FILE", index.toString());
        if (from != null) {
            git.run(env, new byte[0], "read-tree", head);
        } else {
            Files.copy(indexPath(git), index);
            // A split index or caches would name files the guest has not got.
            git.run(env, new byte[0], "update-index", "-q", "--no-split-index", "--no-untracked-cache", "--no-fsmonitor");
            // Fresh stat data in the copy: the guest then re-reads no file whose content is the index's.
            git.runAllowingFailure(env, new byte[0], "update-index", "-q", "--refresh");
        }
        files.put(".git/index", Files.readAllBytes(index));

        Set<String> objects = new LinkedHashSet<>();
        if (oldHead == null || !oldHead.equals(head)) {
            List<String> revList = new ArrayList<>(List.of("rev-list", "--objects", "--no-walk", head));
            if (oldHead != null && !oldHead.isEmpty() && git.runAllowingFailure(Map.of(), new byte[0], "cat-file", "-e", oldHead).exitCode() == 0) {
                revList.addAll(List.of("--not", oldHead));
            }
            for (String line : new String(git.run(Map.of(), new byte[0], revList.toArray(String[]::new)), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    objects.add(line.split(" ", 2)[0]);
                }
            }
        }
        if (from == null) {
            objects.addAll(stagedBlobs());
        }
        List<Path> packs = new ArrayList<>();
        // No delta search (--window=0): one commit's files rarely delta against each other, and the
        // search costs host seconds per thousand files; deltas already in the user's packs are reused.
        if (!objects.isEmpty()) {
            byte[] list = (String.join("\n", objects) + "\n").getBytes(StandardCharsets.UTF_8);
            String name = new String(git.run(Map.of(), list, "pack-objects", "-q", "--window=0", tmp.resolve("pack").toString()), StandardCharsets.UTF_8).strip();
            packs.add(tmp.resolve("pack-" + name + ".pack"));
            packs.add(tmp.resolve("pack-" + name + ".idx"));
        }
        return new GitDir(files, packs);
    }

    /** Blobs the index holds that HEAD's tree does not (staged changes): the index needs them. */
    private List<String> stagedBlobs() {
        List<String> blobs = new ArrayList<>();
        List<String> raw = Git.nulSeparated(git.run(Map.of(), new byte[0], "diff-index", "--cached", "-z", "--no-renames",
                "--abbrev=40", "--ignore-submodules", head));
        for (String item : raw) {
            if (item.startsWith(":")) {
                String[] f = item.split(" ");
                if (!f[3].matches("0+") && !f[1].equals("160000")) {
                    blobs.add(f[3]);
                }
            }
        }
        return blobs;
    }

    private String config() {
        String format = git.text("rev-parse", "--show-object-format");
        StringBuilder c = new StringBuilder("[core]\n\trepositoryformatversion = ").append(format.equals("sha1") ? 0 : 1)
                .append("\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n")
                .append("\t# tar keeps whole-second mtimes and sizes; inode, owner and ctime differ in the guest\n")
                .append("\tcheckStat = minimal\n\ttrustctime = false\n");
        if (!format.equals("sha1")) {
            c.append("[extensions]\n\tobjectformat = ").append(format).append('\n');
        }
        String name = identity("user.name");
        String email = identity("user.email");
        if (name != null || email != null) {
            c.append("[user]\n");
            if (name != null) {
                c.append("\tname = ").append(quoted(name)).append('\n');
            }
            if (email != null) {
                c.append("\temail = ").append(quoted(email)).append('\n');
            }
        }
        return c.toString();
    }

    private String identity(String key) {
        ProcessLauncher.Output o = git.runAllowingFailure(Map.of(), new byte[0], "config", "--get", key);
        String v = new String(o.stdout(), StandardCharsets.UTF_8).strip();
        return o.exitCode() == 0 && !v.isEmpty() && !v.contains("\n") ? v : null;
    }

    private static String quoted(String v) {
        return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    // ---- listing ----

    private static Map<String, Entry> workTreeEntries(Git git, boolean includeUntracked) {
        Set<String> paths = new LinkedHashSet<>(Git.nulSeparated(git.run(Map.of(), new byte[0], "ls-files", "-z", "--cached",
                "--recurse-submodules")));
        if (includeUntracked) {
            paths.addAll(Git.nulSeparated(git.run(Map.of(), new byte[0], "ls-files", "-z", "--others", "--exclude-standard")));
        }
        Path root = git.dir();
        Path realRoot = realPath(root);
        Map<Path, Boolean> dirsInside = new HashMap<>();
        Map<String, Entry> entries = new TreeMap<>();
        for (String p : paths) {
            checkName(p);
            Path file = root.resolve(p);
            Path parent = file.getParent();
            if (!dirsInside.computeIfAbsent(parent, d -> !Files.exists(d) || realPath(d).startsWith(realRoot))) {
                throw new WorkspaceException(p + " is reached through a symbolic link that leads out of " + root
                        + ": banger never follows links out of the work tree");
            }
            PosixFileAttributes a;
            try {
                a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException deletedOnDisk) {
                continue; // a deletion not yet committed: the guest has it deleted too
            } catch (IOException e) {
                throw new WorkspaceException("cannot read " + file + ": " + e.getMessage());
            }
            int perm = permissions(a.permissions());
            long mtime = a.lastModifiedTime().toMillis();
            if (a.isSymbolicLink()) {
                String target = readLink(file);
                checkLink(p, target);
                entries.put(p, new Entry(p, 0120000 | 0777, target.getBytes(StandardCharsets.UTF_8).length, Long.toString(mtime), target, null));
            } else if (a.isRegularFile()) {
                if (!Files.isReadable(file)) {
                    throw new WorkspaceException("cannot read " + file + ": permission denied (banger ships files as you, "
                            + System.getProperty("user.name") + ")");
                }
                entries.put(p, new Entry(p, 0100000 | perm, a.size(), Long.toString(mtime), null, null));
            }
            // Directories (a submodule not checked out) and special files are not shipped.
        }
        return entries;
    }

    private static Map<String, Entry> treeEntries(Git git, String commit) {
        Map<String, Entry> entries = new TreeMap<>();
        List<String> lines = Git.nulSeparated(git.run(Map.of(), new byte[0], "ls-tree", "-r", "-z", "-l", "--full-tree", commit));
        List<Entry> links = new ArrayList<>();
        for (String line : lines) {
            int tab = line.indexOf('\t');
            String[] f = line.substring(0, tab).split(" +");
            String p = line.substring(tab + 1);
            checkName(p);
            if (!f[1].equals("blob")) {
                continue; // a submodule's commit: not shipped with --from
            }
            int mode = Integer.parseInt(f[0], 8);
            Entry e = new Entry(p, mode, Long.parseLong(f[3]), f[2], null, f[2]);
            if (e.symlink()) {
                links.add(e);
            } else {
                entries.put(p, e);
            }
        }
        if (!links.isEmpty()) {
            try (ContentReader reader = new ContentReader(git, true)) {
                for (Entry e : links) {
                    String target = new String(reader.blob(e.blob(), e.size()).readAllBytes(), StandardCharsets.UTF_8);
                    checkLink(e.path(), target);
                    entries.put(e.path(), new Entry(e.path(), e.mode(), e.size(), e.stamp(), target, e.blob()));
                }
            } catch (IOException ex) {
                throw new WorkspaceException("cannot read link targets of " + commit + ": " + ex.getMessage());
            }
        }
        return entries;
    }

    /** A newline would break the guest's deletion list and most tools: such a name is refused, naming it. */
    private static void checkName(String p) {
        if (p.indexOf('\n') >= 0 || p.indexOf('\r') >= 0) {
            throw new WorkspaceException("the file name " + p.replace("\n", "\\n").replace("\r", "\\r")
                    + " contains a line break, which banger cannot ship: rename it");
        }
    }

    /** A link whose target climbs out of the tree (with ..) would point at the guest's own files: refused. */
    private static void checkLink(String p, String target) {
        Path resolved = Path.of(p).resolveSibling(target).normalize();
        if (!target.startsWith("/") && (resolved.startsWith("..") || resolved.toString().equals(".."))) {
            throw new WorkspaceException("the symbolic link " + p + " -> " + target + " leads out of the work tree"
                    + " (through ..), which banger refuses to ship: make it point inside the repository");
        }
    }

    private static String readLink(Path file) {
        try {
            return Files.readSymbolicLink(file).toString();
        } catch (IOException e) {
            throw new WorkspaceException("cannot read the link " + file + ": " + e.getMessage());
        }
    }

    private static Path realPath(Path p) {
        try {
            return p.toRealPath();
        } catch (AccessDeniedException e) {
            throw new WorkspaceException("cannot read " + p + ": permission denied (banger ships files as you, "
                    + System.getProperty("user.name") + ")");
        } catch (IOException e) {
            throw new WorkspaceException("cannot resolve " + p + ": " + e.getMessage());
        }
    }

    private static int permissions(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return m;
    }

    private static String firstLine(String s) {
        return s.strip().lines().findFirst().orElse("git said nothing");
    }

    /** Blob contents from {@code git cat-file --batch} (one process for all of them), for --from. */
    private static final class ContentReader implements AutoCloseable {
        private final Process process;

        ContentReader(Git git, boolean needed) throws IOException {
            this.process = needed ? ProcessLauncher.startPiped(List.of("git", "cat-file", "--batch"), git.dir()) : null;
        }

        InputStream blob(String sha, long size) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((sha + "\n").getBytes(StandardCharsets.US_ASCII));
            in.flush();
            InputStream out = process.getInputStream();
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            int c;
            while ((c = out.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("git cat-file ended early");
                }
                header.write(c);
            }
            if (!header.toString(StandardCharsets.US_ASCII).endsWith(" " + size)) {
                throw new IOException("git cat-file: unexpected " + header);
            }
            byte[] data = out.readNBytes((int) size);
            out.read(); // the newline after the content
            return new java.io.ByteArrayInputStream(data);
        }

        @Override
        public void close() {
            if (process != null) {
                process.destroy();
            }
        }
    }

    /** Rethrows what stopped the producer when the pipe ends, so a failed ship never looks complete. */
    private static final class FailingInput extends java.io.FilterInputStream {
        volatile Exception failure;

        FailingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                n = -1; // the writer thread died; its failure says why
            }
            if (n < 0 && failure != null) {
                throw new IOException(failure.getMessage(), failure);
            }
            return n;
        }
    }
}
