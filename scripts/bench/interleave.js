// Interleaved measurement for the benches: the shared host's speed moves by 10-20% within a minute,
// more than the gaps measured, so a bench measures each side in rounds instead of all at once.
'use strict';

/**
 * Runs the round's steps (async functions, one per side measured) one after another, starting
 * from step `round` modulo their number, so that each side goes first as often as the others;
 * `between` (if given) is awaited after each step.
 */
async function rotated(round, steps, between) {
  for (let q = 0; q < steps.length; q++) {
    await steps[(round + q) % steps.length]();
    if (between) await between();
  }
}

module.exports = { rotated };
