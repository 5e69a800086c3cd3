"""A program that prints to stdout and stderr while it runs."""
import sys

import pulumi_aws as aws

print("creating the key...")
print('{"not": "luxguard output"}')
print("warning from the program", file=sys.stderr)
key = aws.kms.Key("key", enable_key_rotation=False)
key.arn.apply(lambda arn: print(f"key arn is {arn}"))
