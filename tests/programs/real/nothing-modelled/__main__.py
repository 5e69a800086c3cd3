"""Only resources luxguard has no model for: a role and a Glacier vault."""
import json

import pulumi_aws as aws

aws.iam.Role("ci-role", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.glacier.Vault("ci-archive")
