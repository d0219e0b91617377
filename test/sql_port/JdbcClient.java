// pgjdbc against the SQL port, as a BI tool would: list tables and columns through
// DatabaseMetaData, then run a prepared query. Run as a single source file:
//   java -cp /usr/share/java/postgresql.jar JdbcClient.java JDBC_URL USER PASSWORD
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

public class JdbcClient {
  public static void main(String[] args) throws Exception {
    try (Connection connection = DriverManager.getConnection(args[0], args[1], args[2])) {
      DatabaseMetaData meta = connection.getMetaData();
      try (ResultSet tables = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
        while (tables.next()) {
          System.out.println("table " + tables.getString("TABLE_SCHEM") + "."
              + tables.getString("TABLE_NAME"));
        }
      }
      try (ResultSet columns = meta.getColumns(null, "orders", "orders", "%")) {
        while (columns.next()) {
          System.out.println("column " + columns.getString("COLUMN_NAME") + " "
              + columns.getString("TYPE_NAME") + " " + columns.getString("REMARKS"));
        }
      }
      try (PreparedStatement statement = connection.prepareStatement(
               "SELECT order_id, amount FROM orders.orders WHERE customer_id = ? ORDER BY 1")) {
        statement.setString(1, "c-2");
        try (ResultSet rows = statement.executeQuery()) {
          while (rows.next()) {
            System.out.println("prepared " + rows.getString(1) + " " + rows.getBigDecimal(2));
          }
        }
      }
    }
  }
}
