"""Only resources luxguard has no model for: a Glacier vault and a CloudWatch alarm."""
import pulumi_aws as aws

aws.glacier.Vault("ci-archive")
aws.cloudwatch.MetricAlarm("ci-archive-errors", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                           metric_name="Errors", namespace="AWS/Lambda", period=300, statistic="Sum", threshold=1)
