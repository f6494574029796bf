// The mnist package (1.1.0) ships no types; this is the part the example reads.
declare module 'mnist' {
  interface Digit {
    readonly id: number;
    /** Every sample of this digit, 784 values in 0…1 each, concatenated. */
    readonly raw: readonly number[];
    readonly length: number;
  }
  const mnist: Digit[];
  export default mnist;
}
