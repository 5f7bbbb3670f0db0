import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CallrInboundSmsStack, StackContextError } from '../../lib/callr-inbound-sms-stack';
import { CallrInboundSmsPropsError } from '../../lib/callr-inbound-sms';
import { logicalId, synthConstruct, testContext } from './synth';

/**
 * The upgrade path of a table deployed before its newer indexes: CloudFormation adds one global
 * secondary index per stack update, so the operator names the indexes the table gets in this
 * deploy (`tableIndexes`), one more each time (docs/table-design.md, "Deploying it onto an existing table").
 */
const indexNamesOf = (template: Template): string[] => {
  const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
  return (table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }>).map((index) => index.IndexName);
};

describe('tableIndexes', () => {
  it.each([
    ['no prop: every index', undefined, ['bySender', 'byRecipient', 'byOutboundRecipient', 'byKeyword', 'byNumberHash']],
    ['none named: the two the table always had', [], ['bySender', 'byRecipient']],
    ['one more', ['byOutboundRecipient'], ['bySender', 'byRecipient', 'byOutboundRecipient']],
    ['two more, in any order, the required ones named or not', ['byKeyword', 'bySender', 'byOutboundRecipient'], ['bySender', 'byRecipient', 'byOutboundRecipient', 'byKeyword']],
  ])('%s: the table has exactly those, and the persister is told', (_name, tableIndexes, expected) => {
    const { stack, system, template } = synthConstruct(tableIndexes === undefined ? {} : { tableIndexes });
    expect(indexNamesOf(template)).toEqual(expected);
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    expect(table.Properties.Replicas[0].GlobalSecondaryIndexes).toEqual(expected.map((IndexName) => ({ IndexName })));
    const persist = template.findResources('AWS::Lambda::Function')[logicalId(stack, system.persistFunction)];
    expect(persist.Properties.Environment.Variables.TABLE_INDEXES).toBe(expected.join(','));
  });

  it('refuses a name that is no index of the table, saying which are', () => {
    expect(() => synthConstruct({ tableIndexes: ['byOutboundRecipient', 'byKeywords'] })).toThrow(
      new CallrInboundSmsPropsError([
        'tableIndexes names no index of the table: "byKeywords"; valid: byOutboundRecipient, byKeyword, byNumberHash (bySender and byRecipient are always there).',
      ]),
    );
  });

  const synthStack = (context: Record<string, unknown>) =>
    Template.fromStack(new CallrInboundSmsStack(new App({ context: testContext(context) }), 'Stack'));

  it.each([
    ['a comma-separated -c value', 'byOutboundRecipient,byKeyword'],
    ['a cdk.json array', ['byOutboundRecipient', 'byKeyword']],
  ])('is read from the context as %s', (_name, value) => {
    expect(indexNamesOf(synthStack({ tableIndexes: value }))).toEqual(['bySender', 'byRecipient', 'byOutboundRecipient', 'byKeyword']);
  });

  it('refuses a context value naming no index, at synth', () => {
    expect(() => synthStack({ tableIndexes: 'byOutbound' })).toThrow(StackContextError);
    expect(() => synthStack({ tableIndexes: 'byOutbound' })).toThrow(/tableIndexes names no index of the table: "byOutbound"/);
  });
});
