"""A function deployed from a local folder, its role passed as a resource: the plan must still save."""
import json

import pulumi
import pulumi_aws as aws

role = aws.iam.Role("fn-role", assume_role_policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
aws.iam.RolePolicyAttachment("fn-basic", role=role,
                             policy_arn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
fn = aws.lambda_.Function("fn", runtime="python3.12", handler="index.handler", role=role.arn,
                          code=pulumi.FileArchive("./app"))
aws.s3.BucketObject("readme", bucket="assets-lu", key="README.txt", source=pulumi.StringAsset("hello"))
bucket = aws.s3.Bucket("assets", bucket="assets-lu", tags={"data-classification": "technical"})
pulumi.export("fn", fn.arn)
