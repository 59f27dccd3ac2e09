/**
 * The pcapng numbers fusetrace reads and writes (capture-format.md §1; the
 * pcapng draft, draft-ietf-opsawg-pcapng): block types, option codes, the
 * byte-order magic and the FUSE LinkType. Reader, writer and recorder
 * helpers take them from here.
 *
 * Block types, option codes and flag bits are `const enum`s: tsc writes each
 * use as its number. An exported `const` is read at run time from the
 * module's binding, with a check that it is initialised, wherever it is
 * used: 10 such reads a message in the reader's loop, where decoding and
 * pairing ran 2,089 instructions a message with them and 2,014 without
 * (docs/speed.md).
 */

/** Block types. */
export const enum Block {
  SHB = 0x0a0d0d0a,
  IDB = 1,
  /** Obsolete Packet Block: read like an EPB without options. */
  OPB = 2,
  SPB = 3,
  NRB = 4,
  ISB = 5,
  EPB = 6,
  /** Custom Blocks (may be copied / must not be copied by editors). */
  CB_COPY = 0x00000bad,
  CB_NOCOPY = 0x40000bad,
}

/** Byte-order magic of the SHB, as read in the writer's order and in the other one. */
export const BOM = 0x1a2b3c4d;
export const BOM_SWAPPED = 0x4d3c2b1a;

/** LinkType of a FUSE interface (capture-format.md §1). */
export const LINKTYPE_FUSE = 147;

/** Option codes: those valid in every block, then each block's own (their numbers overlap across blocks). */
export const enum Opt {
  ENDOFOPT = 0,
  COMMENT = 1,
  /** shb_hardware: the recording host's machine (`uname -m`, e.g. x86_64, aarch64): open(2) flags are numbered per architecture. */
  SHB_HARDWARE = 2,
  SHB_OS = 3,
  SHB_USERAPPL = 4,
  IF_NAME = 2,
  IF_DESCRIPTION = 3,
  IF_TSRESOL = 9,
  IF_TSOFFSET = 14,
  EPB_FLAGS = 2,
  EPB_PROCESSID_THREADID = 8,
  ISB_STARTTIME = 2,
  ISB_ENDTIME = 3,
  ISB_IFRECV = 4,
  ISB_IFDROP = 5,
}

/**
 * An EPB option's code and length as one 32-bit word read in the section's
 * byte order (code in the low half little-endian, the high half big-endian):
 * epb_flags (4 bytes) and the process/thread ids (8; the same word either way).
 */
export const enum EpbOptHead {
  FLAGS_LE = Opt.EPB_FLAGS | (4 << 16),
  FLAGS_BE = (Opt.EPB_FLAGS << 16) | 4,
  IDS = Opt.EPB_PROCESSID_THREADID | (8 << 16),
}

/** epb_flags bits. */
export const enum EpbFlag {
  /** Bits 0-1: the direction (1 inbound = kernel -> daemon, 2 outbound = daemon -> kernel). */
  DIRECTION = 3,
  /** Bit 16: the write(2) that carried this outbound message failed (capture-format.md §1). */
  FAILED = 0x10000,
}

/** The first bytes after the PEN of fusetrace's queue-state Custom Block. */
export const QUEUE_TAG = 'ftqueue1';
/** The first bytes after the PEN of fusetrace's passthrough backing-file Custom Block. */
export const BACKING_TAG = 'ftbackg1';
