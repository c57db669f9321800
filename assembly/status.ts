// Status codes returned by scan() and fault codes it leaves in faultCode().
// ts/pipeline/decoder.ts mirrors these names; keep both in step.

/** The block at the cursor is incomplete: feed at least neededBytes() from the cursor. */
export const STATUS_NEED_MORE: i32 = 0;
/** One event passed the emit mask; its frame and thread are readable until the next scan(). */
export const STATUS_EVENT: i32 = 1;
/** The block at the cursor is not an event block: the shell parses it, then calls skipBlock(). */
export const STATUS_OTHER_BLOCK: i32 = 2;
/** The input is corrupt at faultOffset(); faultCode() says how. The cursor stays on the block. */
export const STATUS_FAULT: i32 = 3;
/**
 * With setStateExecs(on): an execve/execveat exit that is not emitted (another worker owns its
 * batch, or the emit mask or filter passed it over), readable like an event until the next
 * scan(). A learned baseline names a binary's writer by the execs seen before (ts/baseline/).
 */
export const STATUS_STATE_EXEC: i32 = 4;
/** The output buffer (output.ts) is full enough to write out: outputPtr(), outputLen(), then resetOutput(). */
export const STATUS_OUTPUT: i32 = 5;

export const FAULT_NONE: i32 = 0;
/** block_total_length below the smallest event block or above MAX_(LARGE_)EVENT_BLOCK_BYTES. */
export const FAULT_BLOCK_LENGTH: i32 = 1;
/** The trailing copy of block_total_length differs from the header's. */
export const FAULT_BLOCK_TRAILER: i32 = 2;
/** Frame `len` smaller than its header or larger than the block body. */
export const FAULT_FRAME_LENGTH: i32 = 3;
/** nparams above PPM_MAX_EVENT_PARAMS or its length array does not fit in `len`. */
export const FAULT_NPARAMS: i32 = 4;
/** Parameter lengths add up past the end of the frame. */
export const FAULT_PARAM_LENGTH: i32 = 5;
/** v1 frame whose parameter count cannot be derived from its length (libscap's rule). */
export const FAULT_V1_NPARAMS: i32 = 6;
/** A non-empty fixed-width parameter (an integer, flags, a time) whose length is not its type's width. */
export const FAULT_PARAM_WIDTH: i32 = 7;
