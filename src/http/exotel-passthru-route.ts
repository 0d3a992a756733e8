import type { CustomRoute } from '@slack/bolt';
import type { KeypressResult, Keypresses } from '../campaigns/keypresses.js';
import type { Logger } from '../logger.js';
import { answerPlain, appletRequest } from './applet-request.js';

export const EXOTEL_PASSTHRU_PATH = '/exotel/passthru';

/** The URL to put in a Passthru applet placed after a Gather or Menu applet. */
export function passthruUrl(publicUrl: string, secret: string): string {
  return `${publicUrl}${EXOTEL_PASSTHRU_PATH}/${secret}`;
}

/**
 * `GET /exotel/passthru/<EXOTEL_WEBHOOK_SECRET>`: Exotel's Passthru applet reports the keys pressed (`digits`, in
 * double quotes) with CallSid and CustomField. The keys are recorded on their attempt and counted once (see
 * keypresses.ts), then the answer goes out (200, empty text/plain: the call flow carries on at once), then a "do not
 * call" key is honoured. A wrong secret gets 404. A failure is logged and still answered 200, so the person's call
 * goes on as the flow says.
 */
export function exotelPassthruRoute(secret: string, keypresses: Keypresses, log: Logger): CustomRoute {
  const routeLog = log.child({ component: 'exotel-passthru' });
  return {
    path: `${EXOTEL_PASSTHRU_PATH}/:secret`,
    method: ['GET'],
    handler: async (req, res) => {
      const request = appletRequest(req, secret);
      if (!request) return answerPlain(req, res, 404, 'Not found');
      const call_sid = request.call.callSid;
      let result: KeypressResult | undefined;
      try {
        result = await keypresses.record({ ...request.call, digits: request.query.get('digits') });
      } catch (error) {
        routeLog.error({ err: error, call_sid }, 'could not record a keypress');
      }
      answerPlain(req, res, 200, '');
      if (!result?.doNotCall) return;
      try {
        await keypresses.honourDoNotCall(result);
      } catch (error) {
        routeLog.error(
          { err: error, call_sid, contact: result.attempt?.contact._id },
          'could not put a number on the do-not-call list after its key was pressed',
        );
      }
    },
  };
}
