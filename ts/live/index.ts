/** Live capture: the loader handle and the `scapdrift capture` command. */
export { loaderPath, liveCaptureUnavailable, startLoader, LOADER_ENV, type LoaderOptions, type LoaderExit, type RunningLoader } from './loader.js';
export { captureCommand, outputDropped, type CaptureCommandOptions } from './command.js';
