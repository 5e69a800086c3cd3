"""A program that ends the interpreter itself."""
import os

import pulumi_aws as aws

aws.kms.Key("key", enable_key_rotation=False)
os._exit(0)
