import { createSqsClient } from '../../functions/aws/sqs';
import { withLambdaMiddleware } from '../../functions/observability/lambda-middleware';
import { createObservability } from '../../functions/observability/observability';
import { loadReplyBotConfig, REPLY_BOT_SERVICE_NAME } from './config';
import { createReplyBotHandler } from './create-reply-bot-handler';

/** Lambda entry: wiring only, at cold start (a bad environment fails the init, naming what is wrong). */
const config = loadReplyBotConfig(process.env);
const observability = createObservability(REPLY_BOT_SERVICE_NAME);

export const handler = withLambdaMiddleware(createReplyBotHandler({ config, sqs: createSqsClient(), ...observability }), observability);
