"""Only resources luxguard has no model for: a Route 53 zone and a CloudWatch alarm."""
import pulumi_aws as aws

aws.route53.Zone("ci-zone", name="ci.luxcloud.example")
aws.cloudwatch.MetricAlarm("ci-archive-errors", comparison_operator="GreaterThanThreshold", evaluation_periods=1,
                           metric_name="Errors", namespace="AWS/Lambda", period=300, statistic="Sum", threshold=1)
