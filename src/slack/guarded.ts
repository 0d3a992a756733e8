import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { notice } from './blocks/notice-blocks.js';

type Respond = (message: Record<string, unknown>) => Promise<unknown>;

/**
 * Wraps a button or form listener: a failure after the ack is logged with a reference and the person who clicked
 * gets a sentence saying so, instead of a button that silently did nothing.
 */
export function guarded<A extends object>(log: Logger, name: string, handler: (args: A) => Promise<void>) {
  return async (args: A): Promise<void> => {
    try {
      await handler(args);
    } catch (error) {
      const reference = randomUUID().slice(0, 8);
      log.error({ err: error, listener: name, reference }, 'Slack listener failed');
      const respond = (args as { respond?: Respond }).respond;
      await respond?.({
        response_type: 'ephemeral',
        replace_original: false,
        ...notice(
          `Something went wrong, and that last step may not have happened. Try again in a minute; if it keeps happening, give the bot's admins this reference: ${reference}.`,
        ),
      }).catch(() => {});
    }
  };
}
