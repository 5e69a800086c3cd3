"""An existing bucket looked up with Bucket.get and given a policy, next to a bucket the program owns."""
import json

import pulumi
import pulumi_aws as aws

legacy = aws.s3.Bucket.get("legacy", "legacy-exports")
aws.s3.BucketPolicy("legacy-policy", bucket=legacy.id, policy=legacy.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})))

exports = aws.s3.Bucket("exports", bucket="exports-lu", tags={"data-classification": "accounting"})
pulumi.export("legacyArn", legacy.arn)
pulumi.export("exports", exports.bucket)
