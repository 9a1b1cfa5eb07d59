app_name = "rightsholders"

urlpatterns: list = []
