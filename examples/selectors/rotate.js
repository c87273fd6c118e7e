// A selector of your own, as an ES module: `"selector": { "module": "./selectors/rotate.js" }` in a
// `tradelab select` config (the CLI, library and sweep worker threads all import it).
//
// Rotation: hold the one symbol whose p50 high forecast is furthest above its close, if that
// predicted return beats `options.minReturn` (default: the config's edge.minEdge); rotate when
// another symbol leads. Entries rest a buy limit at the close × (1 + slack), exits a sell limit
// at the close × (1 − slack): both decided from data `decisionLag` bars old, filled by the engine.

/** @param {import("tradelab").SelectConfig} config @param {Record<string, unknown>} options */
export function createSelector(config, options) {
  const minReturn = Number(options.minReturn ?? config.edge.minEdge ?? 0);
  const slack = Number(options.slack ?? 0.001);
  /** @type {import("tradelab").Selector} */
  const selector = {
    describe: () => `rotate into the best predicted upside >= ${minReturn} (slack ${slack})`,
    optimistic: () => null,
    select(ctx) {
      let best = -1;
      let bestRet = minReturn;
      for (let k = 0; k < ctx.symbols.length; k++) {
        if (!ctx.available(k)) continue;
        const c = ctx.candidate(k);
        const ret = (c.predHigh - c.close) / c.close;
        if (ret > bestRet) [best, bestRet] = [k, ret];
      }
      for (let k = 0; k < ctx.symbols.length; k++) {
        if (ctx.qty(k) > 0 && k !== best && ctx.available(k)) ctx.sell(k, ctx.candidate(k).close * (1 - slack), 1);
      }
      if (best >= 0 && ctx.qty(best) === 0) ctx.buy(best, ctx.candidate(best).close * (1 + slack), 1);
    },
  };
  return selector;
}
