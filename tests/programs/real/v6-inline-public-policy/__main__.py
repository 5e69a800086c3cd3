"""v6 style: a public-read policy inline on the bucket, access block turned off."""
import json

import pulumi_aws as aws

bucket = aws.s3.Bucket(
    "downloads",
    bucket="downloads-lu",
    policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::downloads-lu/*"}]}),
    tags={"data-classification": "marketing"},
)
aws.s3.BucketPublicAccessBlock("downloads-pab", bucket=bucket.id, block_public_acls=False, ignore_public_acls=False,
                               block_public_policy=False, restrict_public_buckets=False)
