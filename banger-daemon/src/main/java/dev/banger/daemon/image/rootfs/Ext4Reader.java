package dev.banger.daemon.image.rootfs;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A read-only ext2/3/4 parser for images banger did not build: superblock, group descriptors (32-
 * and 64-bit), inodes of any size, extent trees and classic indirect blocks, linear directory
 * blocks (which also reads htree directories: their index blocks look like empty entries), fast
 * and slow symlinks. Inline-data and encrypted inodes are refused. Every offset and block number is
 * checked against the file, extent trees are depth-limited and no tree block is read twice per
 * inode, and all block reads share one budget (twice the file's size) so blocks mapped many times
 * over cannot make a small image cost unbounded work: a corrupt or hostile image gives an
 * {@link Ext4FormatException}, never an endless loop or a huge allocation.
 *
 * <p>Hand-written because no maintained Java ext4 library exists, and the tools that read ext4
 * (debugfs rdump, mount) either trust the names in it or need a kernel mount of hostile metadata.
 */
final class Ext4Reader implements Closeable {

    public static final long ROOT_INODE = 2;

    static final int S_IFMT = 0xF000;
    static final int S_IFDIR = 0x4000;
    static final int S_IFREG = 0x8000;
    static final int S_IFLNK = 0xA000;

    private static final int SUPERBLOCK_OFFSET = 1024;
    private static final int EXTENT_MAGIC = 0xF30A;
    private static final int MAX_EXTENT_DEPTH = 5;
    private static final int INODE_BLOCK_BYTES = 60;
    private static final int FL_EXTENTS = 0x80000;
    private static final int FL_INLINE_DATA = 0x10000000;
    private static final int FL_ENCRYPT = 0x800;
    private static final int INCOMPAT_FILETYPE = 0x2;
    private static final int INCOMPAT_64BIT = 0x80;
    /** compression, journal device, meta_bg and dirdata change where things are or what they mean. */
    private static final int INCOMPAT_UNSUPPORTED = 0x1 | 0x8 | 0x10 | 0x1000;

    private final FileChannel channel;
    private final String image;
    private final long fileSize;
    private final int blockSize;
    private final long blocksCount;
    private final long firstDataBlock;
    private final long blocksPerGroup;
    private final long inodesPerGroup;
    private final long inodesCount;
    private final int inodeSize;
    private final int descSize;
    private final long groupCount;
    private final boolean fileTypeInDirents;
    private long readBudget;

    /** One inode's fields that extraction needs; {@code block} is the raw 60-byte i_block area. */
    public record Inode(long number, int mode, long uid, long gid, long size, long mtimeSeconds, int mtimeNanos,
                        int flags, int links, byte[] block) {

        public int type() {
            return mode & S_IFMT;
        }

        public boolean isDirectory() {
            return type() == S_IFDIR;
        }

        public boolean isRegularFile() {
            return type() == S_IFREG;
        }

        public boolean isSymlink() {
            return type() == S_IFLNK;
        }

        /** What a directory listing would say it is: for messages about skipped entries. */
        public String typeName() {
            return switch (type()) {
                case S_IFDIR -> "directory";
                case S_IFREG -> "regular file";
                case S_IFLNK -> "symbolic link";
                case 0x1000 -> "named pipe";
                case 0x2000 -> "character device";
                case 0x6000 -> "block device";
                case 0xC000 -> "socket";
                default -> "file of unknown type 0" + Integer.toOctalString(type());
            };
        }
    }

    /** {@code length} blocks of the file from logical block {@code logical} are at image block {@code physical}. */
    public record Extent(long logical, long physical, long length) {
    }

    /** One directory entry, its name as the raw bytes on disk. */
    public record DirEntry(long inode, byte[] name) {

        public String displayName() {
            return new String(name, StandardCharsets.UTF_8).replace("\0", "\\0");
        }
    }

    /** Receives directory entries one at a time, so a huge directory is never held in memory. */
    @FunctionalInterface
    public interface EntryVisitor {
        void visit(DirEntry entry) throws IOException;
    }

    private Ext4Reader(FileChannel channel, Path image) throws IOException {
        this.channel = channel;
        this.image = image.getFileName() == null ? image.toString() : image.getFileName().toString();
        this.fileSize = channel.size();
        this.readBudget = 2 * fileSize + (64L << 20);
        ByteBuffer sb = read(SUPERBLOCK_OFFSET, 1024, "the superblock");
        if (u16(sb, 56) != 0xEF53) {
            throw corrupt("no ext2/3/4 superblock (magic 0xEF53 at byte 1080)");
        }
        long logBlockSize = u32(sb, 24);
        if (logBlockSize > 6) {
            throw corrupt("the superblock's block size 1024 << " + logBlockSize + " is not 1 KiB to 64 KiB");
        }
        blockSize = 1024 << logBlockSize;
        long incompat = u32(sb, 96);
        if ((incompat & INCOMPAT_UNSUPPORTED) != 0) {
            throw corrupt("it uses incompatible features 0x" + Long.toHexString(incompat & INCOMPAT_UNSUPPORTED)
                    + " (compression, journal device, meta_bg or dirdata), which this reader does not read");
        }
        boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
        fileTypeInDirents = (incompat & INCOMPAT_FILETYPE) != 0;
        blocksCount = u32(sb, 4) | (is64 ? u32(sb, 0x150) << 32 : 0);
        firstDataBlock = u32(sb, 20);
        blocksPerGroup = u32(sb, 32);
        inodesPerGroup = u32(sb, 40);
        inodesCount = u32(sb, 0);
        inodeSize = u32(sb, 76) == 0 ? 128 : u16(sb, 88);
        descSize = is64 ? u16(sb, 254) : 32;
        if (blocksPerGroup == 0 || inodesPerGroup == 0 || blocksCount <= firstDataBlock) {
            throw corrupt("the superblock's geometry is impossible (blocks " + blocksCount + ", blocks per group "
                    + blocksPerGroup + ", inodes per group " + inodesPerGroup + ")");
        }
        if (inodeSize < 128 || inodeSize > blockSize || Integer.bitCount(inodeSize) != 1) {
            throw corrupt("the superblock's inode size " + inodeSize + " is not a power of two from 128 to the block size");
        }
        if (descSize < 32 || descSize > 1024 || Integer.bitCount(descSize) != 1) {
            throw corrupt("the superblock's group descriptor size " + descSize + " is not a power of two from 32 to 1024");
        }
        if (blocksCount > fileSize / blockSize) {
            throw corrupt("it is truncated: the superblock counts " + blocksCount + " blocks of " + blockSize
                    + " bytes, the file holds " + fileSize + " bytes");
        }
        groupCount = (blocksCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup;
        if (inodesCount == 0 || inodesCount > groupCount * inodesPerGroup) {
            throw corrupt("the superblock's inode count " + inodesCount + " does not fit " + groupCount + " groups of "
                    + inodesPerGroup);
        }
    }

    /** Opens {@code image} read-only and checks its superblock. */
    public static Ext4Reader open(Path image) throws IOException {
        FileChannel ch = FileChannel.open(image, StandardOpenOption.READ);
        try {
            return new Ext4Reader(ch, image);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public int blockSize() {
        return blockSize;
    }

    /** Reads inode {@code number} (1-based, as directory entries name them). */
    public Inode inode(long number) throws IOException {
        if (number < 1 || number > inodesCount) {
            throw corrupt("inode " + number + " is outside 1.." + inodesCount);
        }
        long group = (number - 1) / inodesPerGroup;
        ByteBuffer desc = read(groupDescriptorTable() + group * descSize, descSize, "group descriptor " + group);
        long table = u32(desc, 8) | (descSize >= 64 ? u32(desc, 0x28) << 32 : 0);
        long index = (number - 1) % inodesPerGroup;
        if (table < firstDataBlock || table >= blocksCount
                || (inodesPerGroup * inodeSize + blockSize - 1) / blockSize > blocksCount - table) {
            throw corrupt("group " + group + "'s inode table at block " + table + " is outside the filesystem");
        }
        ByteBuffer b = read(table * blockSize + index * inodeSize, inodeSize, "inode " + number);
        int mode = u16(b, 0);
        long uid = u16(b, 2) | (long) u16(b, 120) << 16;
        long gid = u16(b, 24) | (long) u16(b, 122) << 16;
        long size = u32(b, 4) | u32(b, 108) << 32;
        if (size < 0) {
            throw corrupt("inode " + number + " has a negative size");
        }
        long mtime = b.getInt(16);
        int nanos = 0;
        if (inodeSize > 128 && u16(b, 128) >= 12) {
            long extra = u32(b, 0x88);
            mtime += (extra & 3) << 32;
            nanos = (int) Math.min(999_999_999, extra >>> 2);
        }
        byte[] block = new byte[INODE_BLOCK_BYTES];
        b.get(40, block);
        return new Inode(number, mode, uid, gid, size, mtime, nanos, (int) u32(b, 32), u16(b, 26), block);
    }

    /** Where the inode's first {@code size} bytes are, in logical order; holes and unwritten extents are left out. */
    public List<Extent> extents(Inode inode) throws IOException {
        if (inode.size() == 0) {
            return List.of();
        }
        if ((inode.flags() & FL_INLINE_DATA) != 0) {
            throw corrupt("inode " + inode.number() + " keeps its data inline in the inode, which this reader does not read");
        }
        if ((inode.flags() & FL_ENCRYPT) != 0) {
            throw corrupt("inode " + inode.number() + " is encrypted");
        }
        long blocks = (inode.size() + blockSize - 1) / blockSize;
        List<Extent> out = new ArrayList<>();
        if ((inode.flags() & FL_EXTENTS) != 0) {
            ByteBuffer root = ByteBuffer.wrap(inode.block()).order(ByteOrder.LITTLE_ENDIAN);
            extentNode(inode, root, -1, new HashSet<>(), blocks, out);
        } else {
            indirect(inode, blocks, out);
        }
        return out;
    }

    private void extentNode(Inode inode, ByteBuffer node, int expectedDepth, Set<Long> seen, long blocks,
                            List<Extent> out) throws IOException {
        String where = "inode " + inode.number() + "'s extent tree";
        if (u16(node, 0) != EXTENT_MAGIC) {
            throw corrupt(where + " has a node without the extent magic 0xF30A");
        }
        int entries = u16(node, 2);
        int max = u16(node, 4);
        int depth = u16(node, 6);
        if (depth > MAX_EXTENT_DEPTH || (expectedDepth >= 0 && depth != expectedDepth)) {
            throw corrupt(where + " has a node of depth " + depth + " (at most " + MAX_EXTENT_DEPTH
                    + ", one less than its parent)");
        }
        if (entries > max || 12 + 12 * max > node.capacity()) {
            throw corrupt(where + " has a node claiming " + entries + " of " + max + " entries in " + node.capacity() + " bytes");
        }
        for (int i = 0; i < entries; i++) {
            int at = 12 + 12 * i;
            long logical = u32(node, at);
            if (depth == 0) {
                int len = u16(node, at + 4);
                boolean unwritten = len > 32768;
                long length = unwritten ? len - 32768 : len;
                long physical = u32(node, at + 8) | (long) u16(node, at + 6) << 32;
                long end = out.isEmpty() ? 0 : out.getLast().logical() + out.getLast().length();
                if (logical < end) {
                    throw corrupt(where + " maps logical block " + logical + " twice (extents overlap or are out of order)");
                }
                checkBlocks(physical, length, where);
                if (!unwritten && logical < blocks && length > 0) { // unwritten (fallocated) extents read as zeros: holes
                    out.add(new Extent(logical, physical, Math.min(length, blocks - logical)));
                }
            } else {
                long child = u32(node, at + 4) | (long) u16(node, at + 8) << 32;
                checkBlocks(child, 1, where);
                if (!seen.add(child)) {
                    throw corrupt(where + " reaches block " + child + " twice (a loop or a shared node)");
                }
                ByteBuffer next = read(child * blockSize, blockSize, where);
                extentNode(inode, next, depth - 1, seen, blocks, out);
            }
        }
    }

    private void indirect(Inode inode, long blocks, List<Extent> out) throws IOException {
        ByteBuffer root = ByteBuffer.wrap(inode.block()).order(ByteOrder.LITTLE_ENDIAN);
        long perBlock = blockSize / 4;
        Set<Long> seen = new HashSet<>();
        long logical = 0;
        for (int i = 0; i < 12 && logical < blocks; i++, logical++) {
            addBlock(inode, logical, u32(root, 4 * i), out);
        }
        long span = perBlock;
        for (int level = 1; level <= 3 && logical < blocks; level++) {
            indirectBlock(inode, u32(root, 4 * (11 + level)), level, logical, blocks, seen, out);
            logical += span;
            span *= perBlock;
        }
    }

    /** One indirect block of {@code level} (1 single, 2 double, 3 triple) mapping from logical block {@code first}. */
    private void indirectBlock(Inode inode, long pointer, int level, long first, long blocks, Set<Long> seen,
                               List<Extent> out) throws IOException {
        if (pointer == 0) {
            return;
        }
        String where = "inode " + inode.number() + "'s indirect blocks";
        checkBlocks(pointer, 1, where);
        if (!seen.add(pointer)) {
            throw corrupt(where + " reach block " + pointer + " twice (a loop or a shared block)");
        }
        ByteBuffer b = read(pointer * blockSize, blockSize, where);
        long perBlock = blockSize / 4;
        long childSpan = 1;
        for (int l = 1; l < level; l++) {
            childSpan *= perBlock;
        }
        for (int i = 0; i < perBlock && first + i * childSpan < blocks; i++) {
            long child = u32(b, 4 * i);
            if (level == 1) {
                addBlock(inode, first + i, child, out);
            } else {
                indirectBlock(inode, child, level - 1, first + i * childSpan, blocks, seen, out);
            }
        }
    }

    private void addBlock(Inode inode, long logical, long physical, List<Extent> out) {
        if (physical == 0) {
            return;
        }
        checkBlocks(physical, 1, "inode " + inode.number() + "'s block map");
        if (!out.isEmpty()) {
            Extent last = out.getLast();
            if (last.logical() + last.length() == logical && last.physical() + last.length() == physical) {
                out.set(out.size() - 1, new Extent(last.logical(), last.physical(), last.length() + 1));
                return;
            }
        }
        out.add(new Extent(logical, physical, 1));
    }

    /** Reads {@code length} bytes of the file's data at block-aligned extent {@code e}, offset {@code from} bytes into it. */
    public ByteBuffer data(Extent e, long from, int length) throws IOException {
        return read(e.physical() * blockSize + from, length, "the data of an extent at block " + e.physical());
    }

    /** A symbolic link's target: in the inode (fast) or in its one data block (slow). */
    public byte[] symlinkTarget(Inode inode) throws IOException {
        if (inode.size() == 0 || inode.size() > 4095) {
            throw corrupt("symbolic link inode " + inode.number() + " has a target of " + inode.size()
                    + " bytes (1 to 4095 are possible)");
        }
        int length = (int) inode.size();
        byte[] target;
        if ((inode.flags() & (FL_EXTENTS | FL_INLINE_DATA)) == 0 && length < INODE_BLOCK_BYTES) {
            target = java.util.Arrays.copyOf(inode.block(), length);
        } else {
            List<Extent> extents = extents(inode);
            if (extents.isEmpty() || extents.getFirst().logical() != 0 || length > blockSize) {
                throw corrupt("symbolic link inode " + inode.number() + " has no data block for its target");
            }
            target = new byte[length];
            data(extents.getFirst(), 0, length).get(target);
        }
        for (byte c : target) {
            if (c == 0) {
                throw corrupt("symbolic link inode " + inode.number() + " has a NUL byte in its target");
            }
        }
        return target;
    }

    /**
     * Hands every live entry of directory {@code dir} to {@code visitor} in on-disk order,
     * including {@code .} and {@code ..}; each entry's record is checked against its block.
     */
    public void forEachEntry(Inode dir, EntryVisitor visitor) throws IOException {
        String where = "directory inode " + dir.number();
        for (Extent e : extents(dir)) {
            for (long i = 0; i < e.length(); i++) {
                ByteBuffer b = read((e.physical() + i) * blockSize, blockSize, where);
                int at = 0;
                while (at < blockSize) {
                    if (blockSize - at < 8) {
                        throw corrupt(where + " has a truncated entry at byte " + at + " of block " + (e.logical() + i));
                    }
                    long ino = u32(b, at);
                    int recLen = u16(b, at + 4);
                    if (blockSize == 65536 && (recLen == 0 || recLen == 65535)) {
                        recLen = 65536; // how a 64 KiB record length fits in 16 bits
                    }
                    int nameLen = fileTypeInDirents ? b.get(at + 6) & 0xff : u16(b, at + 6);
                    if (recLen < 8 || recLen % 4 != 0 || recLen > blockSize - at || 8 + nameLen > recLen) {
                        throw corrupt(where + " has a bad entry at byte " + at + " of block " + (e.logical() + i)
                                + " (record length " + recLen + ", name length " + nameLen + ")");
                    }
                    if (ino != 0) {
                        byte[] name = new byte[nameLen];
                        b.get(at + 8, name);
                        visitor.visit(new DirEntry(ino, name));
                    }
                    at += recLen;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private long groupDescriptorTable() {
        return (firstDataBlock + 1) * blockSize;
    }

    private void checkBlocks(long first, long count, String where) {
        if (first < 0 || count < 0 || first >= blocksCount || count > blocksCount - first) {
            throw corrupt(where + " points at blocks " + first + "+" + count + ", outside the filesystem's "
                    + blocksCount + " blocks");
        }
    }

    private ByteBuffer read(long offset, int length, String what) throws IOException {
        if (offset < 0 || length > fileSize || offset > fileSize - length) {
            throw corrupt("reading " + what + " at byte " + offset + " goes past the end of the file (" + fileSize + " bytes)");
        }
        readBudget -= length;
        if (readBudget < 0) {
            throw corrupt("it maps the same blocks over and over (reading more than twice its own size)");
        }
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        try {
            while (b.hasRemaining()) {
                if (channel.read(b, offset + b.position()) < 0) {
                    throw corrupt("reading " + what + ": the file ended early");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + image + ": " + e.getMessage(), e);
        }
        return b.flip();
    }

    private Ext4FormatException corrupt(String what) {
        return new Ext4FormatException("ext4 image " + image + ": " + what);
    }

    private static int u16(ByteBuffer b, int at) {
        return b.getShort(at) & 0xffff;
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xffffffffL;
    }
}
