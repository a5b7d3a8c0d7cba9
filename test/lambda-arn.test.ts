import { describe, expect, it } from 'vitest';
import { formatLambdaArn, lambdaNameOf, parseLambdaArn } from '../src/aws/lambda-arn.js';

describe('Lambda ARNs', () => {
  const base = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };

  it('parses functions, qualified or not, and capacity providers, and spells them back', () => {
    const cases = [
      ['arn:aws:lambda:eu-west-1:123456789012:function:orders-dev-router', { ...base, resource: 'function', name: 'orders-dev-router' }],
      ['arn:aws:lambda:eu-west-1:123456789012:function:orders-dev-router:7', { ...base, resource: 'function', name: 'orders-dev-router', qualifier: '7' }],
      [
        'arn:aws:lambda:eu-west-1:123456789012:function:orders-dev-router:live',
        { ...base, resource: 'function', name: 'orders-dev-router', qualifier: 'live' },
      ],
      ['arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST.PUBLISHED', { ...base, resource: 'function', name: 'f', qualifier: '$LATEST.PUBLISHED' }],
      ['arn:aws:lambda:eu-west-1:123456789012:capacity-provider:orders-dev-cp', { ...base, resource: 'capacity-provider', name: 'orders-dev-cp' }],
      [
        'arn:aws-cn:lambda:cn-north-1:123456789012:function:f',
        { partition: 'aws-cn', region: 'cn-north-1', account: '123456789012', resource: 'function', name: 'f' },
      ],
    ] as const;
    for (const [text, parts] of cases) {
      expect(parseLambdaArn(text)).toEqual(parts);
      expect(formatLambdaArn(parts)).toBe(text);
    }
  });

  it('refuses anything else: names, other services, other resources, a qualified capacity provider', () => {
    for (const text of [
      'orders-dev-router',
      'orders-dev-router:7',
      '',
      'arn:aws:iam::123456789012:role/deploy',
      'arn:aws:lambda:eu-west-1:123456789012:layer:shared:3',
      'arn:aws:lambda:eu-west-1:12345:function:f',
      'arn:aws:lambda:eu-west-1:123456789012:function:f:7:extra',
      'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:cp:1',
      `arn:aws:lambda:eu-west-1:123456789012:function:${'f'.repeat(65)}`,
    ]) {
      expect(parseLambdaArn(text), text).toBeUndefined();
    }
  });

  it('takes the name out of an ARN and leaves a name as it is', () => {
    expect(lambdaNameOf('arn:aws:lambda:eu-west-1:123456789012:function:orders-dev-router:7')).toBe('orders-dev-router');
    expect(lambdaNameOf('arn:aws:lambda:eu-west-1:123456789012:capacity-provider:orders-dev-cp')).toBe('orders-dev-cp');
    expect(lambdaNameOf('orders-dev-cp')).toBe('orders-dev-cp');
  });
});
