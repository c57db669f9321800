/**
 * scapdrift's public API: open a Falco/sysdig capture and read its events with
 * the drift fields. See README.md for an example.
 */
export { openCapture, type OpenCaptureOptions, type OpenCaptureRulesOptions, type Capture, type CaptureEvent, type CaptureAlert } from './capture.js';
export { FIELDS, type FieldDef, type FieldType, type FieldValue } from '../fields/fields.js';
export { ScapdriftError, ErrorCode, isScapdriftError, type ErrorCodeValue } from '../errors.js';
export type { RulesError, RulesItem, Place as RulesPlace } from '../rules/rules_error.js';
export type { MachineInfo } from '../scap/machine_info.js';
export type { ByteStream } from '../scap/byte_source.js';
export type { DecodeSummary } from '../pipeline/decoder.js';
