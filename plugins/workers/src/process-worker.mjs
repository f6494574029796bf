// A process of processPool: takes tasks from its parent over the IPC channel (Node's advanced
// serialisation, the structured clone of threads) and answers each with its task number.
import { runTask } from './segments.mjs';

/**
 * The serialised specs of the segments the parent has sent, by id, kept so an evicted segment can be opened
 * again; the parent says when to forget one, so both sides agree on which this process holds.
 */
const specs = new Map();

process.on('message', (message) => {
  if (message.type === 'segment') {
    specs.set(message.id, message.spec);
    return;
  }
  if (message.type === 'forget') {
    specs.delete(message.id);
    return;
  }
  const { task, id, batch, shard } = message;
  const shared = specs.get(id);
  const answer = shared
    ? runTask({ id, shared, batch, shard })
    : Promise.resolve({ error: { code: 'STAGE_FAILED', message: `A worker process was given a batch for segment ${id.slice(0, 12)}, which it was never sent.` } });
  answer.then((result) => {
    // The parent may have closed the pool meanwhile: nothing to answer.
    if (!process.connected) return;
    try {
      process.send({ task, answer: result }, undefined, undefined, () => undefined);
    } catch (error) {
      // An answer that cannot be serialised (a stage wrote a function) fails its task, not the process.
      process.send({ task, answer: { error: { code: 'STAGE_FAILED', message: `A worker process could not send its answer back: ${error instanceof Error ? error.message : String(error)}. Stages that run on workers must write plain values (text, numbers, arrays, typed arrays, Dates, plain objects).` } } }, undefined, undefined, () => undefined);
    }
  });
});

// The parent gone (closed the pool, or died): nothing more will come.
process.on('disconnect', () => process.exit(0));
// A write to a channel the parent just closed (EPIPE) is no reason to crash.
process.on('error', () => undefined);
