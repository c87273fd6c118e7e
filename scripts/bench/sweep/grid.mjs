// The benchmark grid, shared by both engines: 40 fast x 25 slow EMA windows = 1,000 pairs.
export const FAST = Array.from({ length: 40 }, (_, i) => i + 2); // 2..41
export const SLOW = Array.from({ length: 25 }, (_, i) => 50 + 10 * i); // 50..290
export const FEE = 0.001;
export const CASH = 10000;
// slack 0.5: buy limit close x 1.5, sell limit close x 0.5, so every order fills at the next
// bar's open (better-on-gap), which is vectorbt's price=open with signals shifted by one bar.
export const SLACK = 0.5;
