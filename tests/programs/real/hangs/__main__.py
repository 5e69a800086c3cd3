"""A program that never finishes (waiting on something that will not come)."""
import time

import pulumi_aws as aws

aws.kms.Key("key", enable_key_rotation=True)
while True:
    time.sleep(0.1)
