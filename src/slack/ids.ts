// Every Slack id (command, action_id, block_id, callback_id) is defined once, here.
export const COMMAND = '/campaign';

export const ActionId = {} as const;
export const ViewId = {} as const;
