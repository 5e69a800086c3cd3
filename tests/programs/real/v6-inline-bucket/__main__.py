"""pulumi-aws v6 style: encryption, logging, versioning, lifecycle and policy inline on the bucket."""
import json

import pulumi
import pulumi_aws as aws

key = aws.kms.Key("key", enable_key_rotation=True)
logs = aws.s3.Bucket(
    "logs",
    bucket="logs-inline-lu",
    server_side_encryption_configuration={"rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}},
    versioning={"enabled": True},
    lifecycle_rules=[{"enabled": True, "noncurrent_version_expiration": {"days": 90}}],
    policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::logs-inline-lu", "arn:aws:s3:::logs-inline-lu/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "S3ServerAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::logs-inline-lu/*",
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}]}),
    tags={"data-classification": "technical", "luxguard:role": "access-logs"},
)
data = aws.s3.Bucket(
    "data",
    bucket="data-inline-lu",
    server_side_encryption_configuration={"rule": {
        "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
        "bucket_key_enabled": True}},
    logging={"target_bucket": logs.id, "target_prefix": "data/"},
    versioning={"enabled": True},
    lifecycle_rules=[{"enabled": True, "expiration": {"days": 3650}, "noncurrent_version_expiration": {"days": 90}}],
    policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::data-inline-lu", "arn:aws:s3:::data-inline-lu/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::data-inline-lu/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}),
    tags={"data-classification": "contact"},
)
pulumi.export("data", data.bucket)
