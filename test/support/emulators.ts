import { startDynamoEmulator, startSqsEmulator, type RunningEmulator } from '../../local/emulators';
import { createLocalClients, type LocalClients } from '../../local/aws-clients';
import { createMessageTable, createOutboxQueues, createQueues, type LocalQueues, type OutboxQueues } from '../../local/provision';

/**
 * Emulators for integration tests: dynalite (in memory) and fauxqs on free 127.0.0.1 ports, the
 * table, queues and inbox topic created from the same definitions as the CDK construct, and real
 * SDK clients.
 * Each call gets fresh, uniquely named resources so test files never see each other's data.
 */
export interface TestEnvironment extends LocalQueues, OutboxQueues {
  readonly clients: LocalClients;
  readonly tableName: string;
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  stop(): Promise<void>;
}

let counter = 0;

export async function startTestEnvironment(): Promise<TestEnvironment> {
  const region = 'us-east-1';
  const emulators: RunningEmulator[] = [];
  try {
    const dynamo = await startDynamoEmulator();
    emulators.push(dynamo);
    const sqsEmulator = await startSqsEmulator({ region });
    emulators.push(sqsEmulator);
    const clients = createLocalClients({ dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqsEmulator.endpoint, region });
    const suffix = `${process.pid}-${++counter}`;
    const tableName = `messages-${suffix}`;
    await createMessageTable(clients.dynamodb, tableName);
    const queues = await createQueues(clients, {
      ingestQueue: `ingest-${suffix}`,
      deadLetterQueue: `dead-letter-${suffix}`,
      inboxTopic: `inbox-${suffix}`,
      inboxQueue: `inbox-${suffix}`,
      inboxDeadLetterQueue: `inbox-dead-letter-${suffix}`,
    });
    const outboxQueues = await createOutboxQueues(clients.sqs, { outboxQueue: `outbox-${suffix}`, outboxDeadLetterQueue: `outbox-dead-letter-${suffix}` });
    return {
      ...queues,
      ...outboxQueues,
      clients,
      tableName,
      region,
      dynamodbEndpoint: dynamo.endpoint,
      sqsEndpoint: sqsEmulator.endpoint,
      async stop() {
        clients.destroy();
        await Promise.all(emulators.map((emulator) => emulator.close()));
      },
    };
  } catch (error) {
    await Promise.all(emulators.map((emulator) => emulator.close()));
    throw error;
  }
}
