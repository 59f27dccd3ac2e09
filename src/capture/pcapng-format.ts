/**
 * The pcapng numbers fusetrace reads and writes (capture-format.md §1; the
 * pcapng draft, draft-ietf-opsawg-pcapng): block types, option codes, the
 * byte-order magic and the FUSE LinkType. Reader, writer and recorder
 * helpers take them from here.
 */

/** Block types. */
export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
/** Obsolete Packet Block: read like an EPB without options. */
export const BT_OPB = 2;
export const BT_SPB = 3;
export const BT_NRB = 4;
export const BT_ISB = 5;
export const BT_EPB = 6;
/** Custom Blocks (may be copied / must not be copied by editors). */
export const BT_CB_COPY = 0x00000bad;
export const BT_CB_NOCOPY = 0x40000bad;

/** Byte-order magic of the SHB, as read in the writer's order and in the other one. */
export const BOM = 0x1a2b3c4d;
export const BOM_SWAPPED = 0x4d3c2b1a;

/** LinkType of a FUSE interface (capture-format.md §1). */
export const LINKTYPE_FUSE = 147;

/** Options valid in every block. */
export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;

/** SHB options. */
/** shb_hardware: the recording host's machine (`uname -m`, e.g. x86_64, aarch64): open(2) flags are numbered per architecture. */
export const SHB_HARDWARE = 2;
export const SHB_OS = 3;
export const SHB_USERAPPL = 4;

/** IDB options. */
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_TSOFFSET = 14;

/** EPB options. */
export const EPB_FLAGS = 2;
export const EPB_PROCESSID_THREADID = 8;
/** epb_flags bits 0-1: the direction (1 inbound = kernel -> daemon, 2 outbound = daemon -> kernel). */
export const EPB_FLAGS_DIRECTION = 3;
/** epb_flags bit 16: the write(2) that carried this outbound message failed (capture-format.md §1). */
export const EPB_FLAGS_FAILED = 0x10000;

/** ISB options. */
export const ISB_STARTTIME = 2;
export const ISB_ENDTIME = 3;
export const ISB_IFRECV = 4;
export const ISB_IFDROP = 5;

/** The first bytes after the PEN of fusetrace's queue-state Custom Block. */
export const QUEUE_TAG = 'ftqueue1';
/** The first bytes after the PEN of fusetrace's passthrough backing-file Custom Block. */
export const BACKING_TAG = 'ftbackg1';
