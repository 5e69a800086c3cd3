"""luxguard: keeps LuxCloud's privacy-policy promises true in infrastructure code and in the cloud."""

__version__ = "0.1.0"
