"""The core every layer uses: the home folder, periods and the reporting calendar, settings, the
scope of a report, the registry of sources, the warehouse connection, Vietnamese text and number
conventions. It imports none of the stages (ingest, expectations, report) nor the orchestration.
"""
